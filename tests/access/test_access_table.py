"""Who may call what, in all five services: every role against every endpoint, on the real stack.

The five services run in this process on one topic prefix, so what scout's admin API does
reaches the others through Kafka as in production. Set up once for the module (about 30 s):
companies co-a (recruiters rec-a, and rec-gone whom the admin then deactivates), co-b (rec-b)
and co-s (rec-s, then suspended), two students with profiles, a scout from co-a to cand-1
(which opens their thread in messaging) and a matching event of co-a.

Each row names an endpoint and the status each role gets. Reads address real objects; writes
that carry a body send `[]`, which no body model accepts: a 422 says the caller got past every
check made before the body is read (the role, her standing, the object where it is loaded first),
and nothing changes, so the rows do not depend on each other. Writes without a body address an
object that does not exist (404 for whoever may try). The objects' own rules on writes are tested
in each service's tests. Every route of every app must have a row: a new endpoint fails here until
its row says who may call it.
"""

import asyncio
import re
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import pytest_asyncio
from tsunagu_events.config import EventsSettings
from tsunagu_events.entrypoints.api import create_app as events_app
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.entrypoints.api import create_app as messaging_app
from tsunagu_notify.config import NotifySettings
from tsunagu_notify.entrypoints.api import create_app as notify_app
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.entrypoints.api import create_app as profile_app
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints.api import create_app as scout_app
from tsunagu_shared.testing import bearer, isolated_settings, running_service, unique_prefix

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ROLES = ("anonymous", "candidate", "other_candidate", "recruiter", "other_company", "deactivated", "suspended",
         "admin", "service", "bad_claim")
SERVICES = ("profile", "scout", "messaging", "events", "notify")
# Not object endpoints: the operations endpoints every app has.
OPERATIONS = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}


class World:
    """The running services and the ids of what was set up."""

    def __init__(self) -> None:
        self.clients: dict = {}
        self.apps: dict = {}
        self.settings = None
        self.ids: dict[str, str] = {}

    def headers(self, role: str) -> dict[str, str]:
        s = self.settings
        match role:
            case "anonymous":
                return {}
            case "candidate":
                return bearer(s, role="candidate", subject="cand-1")
            case "other_candidate":
                return bearer(s, role="candidate", subject="cand-2")
            case "recruiter":
                return bearer(s, role="recruiter", subject="rec-a", company_id="co-a")
            case "other_company":
                return bearer(s, role="recruiter", subject="rec-b", company_id="co-b")
            case "deactivated":
                return bearer(s, role="recruiter", subject="rec-gone", company_id="co-a")
            case "suspended":
                return bearer(s, role="recruiter", subject="rec-s", company_id="co-s")
            case "admin":
                return bearer(s, role="admin", subject="admin-1")
            case "service":
                return bearer(s, role="service", subject="some-service")
            case "bad_claim":  # signed with the right secret, but company_id is a number
                token = jwt.encode({"sub": "rec-a", "role": "recruiter", "company_id": 12345, "iss": s.jwt_issuer,
                                    "aud": s.jwt_audience, "exp": int(time.time()) + 600}, s.jwt_secret,
                                   algorithm="HS256")
                return {"Authorization": f"Bearer {token}"}
        raise ValueError(role)


async def eventually(check, *, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory):
    world = World()
    prefix = unique_prefix()
    folder = tmp_path_factory.mktemp("access")
    makers = {
        "scout": (scout_app, isolated_settings(ScoutSettings, prefix=prefix)),
        "profile": (profile_app, isolated_settings(ProfileSettings, prefix=prefix, photo_folder=folder / "photos")),
        "messaging": (messaging_app, isolated_settings(MessagingSettings, prefix=prefix,
                                                        attachment_dir=str(folder / "attachments"))),
        "events": (events_app, isolated_settings(EventsSettings, prefix=prefix)),
        "notify": (notify_app, isolated_settings(NotifySettings, prefix=prefix)),
    }
    world.settings = makers["scout"][1]
    async with AsyncExitStack() as stack:
        for name, (make, settings) in makers.items():
            app = make(settings)
            world.apps[name] = app
            world.clients[name] = await stack.enter_async_context(running_service(app))
        await set_up(world)
        yield world


async def set_up(world: World) -> None:
    scout, profile = world.clients["scout"], world.clients["profile"]
    admin = world.headers("admin")
    plan = {"name": "standard", "monthly_quota": {"regular": 10, "premium": 1}}
    for company, recruiters in {"co-a": ["rec-a", "rec-gone"], "co-b": ["rec-b"], "co-s": ["rec-s"]}.items():
        created = await scout.post("/admin/companies", headers=admin,
                                   json={"company_id": company, "name": f"{company} 株式会社", "plan": plan})
        assert created.status_code == 201, created.text
        for recruiter in recruiters:
            put = await scout.put(f"/admin/companies/{company}/recruiters/{recruiter}", headers=admin,
                                  json={"display_name": recruiter})
            assert put.status_code == 200, put.text
    # through the real API: the suspension and the deactivation every service must honour
    assert (await scout.post("/admin/companies/co-s/status", headers=admin,
                             json={"change": "suspended"})).status_code == 200
    assert (await scout.put("/admin/companies/co-a/recruiters/rec-gone", headers=admin,
                            json={"display_name": "rec-gone", "active": False})).status_code == 200
    for candidate in ("cand-1", "cand-2"):
        made = await profile.post("/profiles/me", headers=world.headers(candidate.replace("cand-1", "candidate")
                                                                              .replace("cand-2", "other_candidate")),
                                  json={"display_name": f"学生 {candidate}", "graduation_year": 2027,
                                        # what a scout's reason refers to ("why you")
                                        "self_pr": "I lead our robotics club."})
        assert made.status_code == 201, made.text

    async def scouted():  # scout learns of cand-1 from profile.events
        sent = await scout.post("/scouts", headers=world.headers("recruiter"),
                                json={"candidate_id": "cand-1", "reason": "Your robotics club work fits our team"})
        return sent.json() if sent.status_code == 201 else None
    world.ids["scout"] = (await eventually(scouted, what="scout to cand-1"))["scout_id"]

    async def thread():  # messaging opens the thread from ScoutSent
        listed = await world.clients["messaging"].get("/threads", headers=world.headers("candidate"))
        return next((t for t in listed.json() if t["company_id"] == "co-a"), None) if listed.status_code == 200 \
            else None
    world.ids["thread"] = (await eventually(thread, what="thread of co-a and cand-1"))["thread_id"]

    published = await world.clients["events"].post("/events", headers=admin, json={
        "title": "Matching night", "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "time_zone": "Asia/Tokyo", "venue": "Shibuya", "capacity": 10, "company_ids": ["co-a"]})
    assert published.status_code == 201, published.text
    world.ids["event"] = published.json()["event_id"]

    async def standing_known(name: str):
        view = world.apps[name].state.container.standing
        gone = await view.standing(company_id="co-a", recruiter_id="rec-gone")
        suspended = await view.standing(company_id="co-s", recruiter_id="rec-s")
        other = await view.standing(company_id="co-b", recruiter_id="rec-b")
        return (gone.recruiter_active is False and suspended.company_status == "inactive"
                and other.company_status == "active" and other.recruiter_active is True)
    for name in ("profile", "messaging", "events", "notify"):
        await eventually(lambda name=name: standing_known(name),
                         what=f"{name} hearing of the suspension and deactivation")


# (service, method, path, body, expected per role in ROLES order). "{thread}", "{event}", "{scout}" are
# the objects set up; "none" ids do not exist. BODY: a body no model accepts (see the module's text).
# "---": not asked, the call would change what other rows see (her profile erased, a company blocked);
# each service's own tests cover those.
BODY = "[]"
TABLE: list[tuple[str, str, str, str | None, str]] = [
    # profile: students own theirs; active recruiters and services read and search
    ("profile", "GET", "/profiles", None, "401 403 403 200 200 403 403 200 200 401"),
    ("profile", "GET", "/profiles/cand-1", None, "401 200 404 200 200 403 403 200 200 401"),
    ("profile", "GET", "/profiles/cand-1/photo", None, "401 404 404 404 404 403 403 404 404 401"),
    ("profile", "GET", "/profiles/cand-1/contact-preferences", None, "401 200 404 403 403 403 403 200 200 401"),
    ("profile", "PATCH", "/profiles/cand-1/contact-preferences", BODY, "401 422 404 403 403 403 403 422 422 401"),
    ("profile", "POST", "/profiles/me", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("profile", "GET", "/profiles/me", None, "401 200 200 403 403 403 403 403 403 401"),
    ("profile", "PATCH", "/profiles/me", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("profile", "DELETE", "/profiles/me", None, "401 --- --- 403 403 403 403 403 403 401"),
    ("profile", "PUT", "/profiles/me/selection-progress", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("profile", "GET", "/profiles/personality-test", None, "401 200 200 200 200 403 403 200 200 401"),
    ("profile", "POST", "/profiles/me/personality-test", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("profile", "PUT", "/profiles/me/photo", "form", "401 422 422 403 403 403 403 403 403 401"),
    ("profile", "GET", "/profiles/me/photo", None, "401 404 404 403 403 403 403 403 403 401"),
    ("profile", "DELETE", "/profiles/me/photo", None, "401 200 200 403 403 403 403 403 403 401"),
    # scout: admins manage companies; recruiters act for their active company; students for themselves
    ("scout", "POST", "/admin/companies", BODY, "401 403 403 403 403 403 403 422 403 401"),
    ("scout", "GET", "/admin/companies/co-a", None, "401 403 403 403 403 403 403 200 403 401"),
    ("scout", "PUT", "/admin/companies/co-a/plan", BODY, "401 403 403 403 403 403 403 422 403 401"),
    ("scout", "POST", "/admin/companies/co-a/status", BODY, "401 403 403 403 403 403 403 422 403 401"),
    ("scout", "PUT", "/admin/companies/co-a/recruiters/rec-a", BODY, "401 403 403 403 403 403 403 422 403 401"),
    ("scout", "POST", "/scouts", BODY, "401 403 403 422 422 403 403 403 403 401"),
    ("scout", "GET", "/scouts/sent", None, "401 403 403 200 200 403 403 403 403 401"),
    ("scout", "GET", "/companies/me", None, "401 403 403 200 200 403 403 403 403 401"),
    ("scout", "GET", "/companies/me/signals", None, "401 403 403 200 200 403 403 403 403 401"),
    ("scout", "POST", "/templates", BODY, "401 403 403 422 422 403 403 403 403 401"),
    ("scout", "GET", "/templates", None, "401 403 403 200 200 403 403 403 403 401"),
    ("scout", "POST", "/campaigns", "form", "401 403 403 422 422 403 403 403 403 401"),
    ("scout", "GET", "/campaigns/none", None, "401 403 403 404 404 403 403 403 403 401"),
    ("scout", "GET", "/campaigns/none/export", None, "401 403 403 404 404 403 403 403 403 401"),
    ("scout", "POST", "/campaign-responses/none", None, "404 404 404 404 404 404 404 404 404 404"),
    ("scout", "POST", "/campaigns/none/response", None, "401 404 404 403 403 403 403 403 403 401"),
    ("scout", "GET", "/scouts/received", None, "401 200 200 403 403 403 403 403 403 401"),
    ("scout", "POST", "/scouts/{scout}/view", None, "401 200 404 403 403 403 403 403 403 401"),
    ("scout", "POST", "/scouts/{scout}/decline", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("scout", "PUT", "/blocks/co-b", None, "401 --- --- 403 403 403 403 403 403 401"),
    ("scout", "DELETE", "/blocks/co-b", None, "401 204 204 403 403 403 403 403 403 401"),
    ("scout", "GET", "/recommendations/me", None, "401 200 200 403 403 403 403 403 403 401"),
    ("scout", "POST", "/recommendations/me/none/scout-request", None, "401 404 404 403 403 403 403 403 403 401"),
    # messaging: the two sides of a thread; a stranger learns nothing (404)
    ("messaging", "GET", "/threads", None, "401 200 200 200 200 403 403 403 403 401"),
    ("messaging", "POST", "/threads", BODY, "401 422 422 422 422 403 403 422 422 401"),
    ("messaging", "GET", "/threads/{thread}", None, "401 200 404 200 404 403 403 404 404 401"),
    ("messaging", "GET", "/threads/{thread}/messages", None, "401 200 404 200 404 403 403 404 404 401"),
    ("messaging", "POST", "/threads/{thread}/messages", BODY, "401 422 422 422 422 403 403 422 422 401"),
    ("messaging", "POST", "/companies/co-a/messages", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/threads/{thread}/read", None, "401 200 404 200 404 403 403 404 404 401"),
    ("messaging", "POST", "/threads/none/archive", None, "401 404 404 404 404 403 403 404 404 401"),
    ("messaging", "POST", "/threads/none/unarchive", None, "401 404 404 404 404 403 403 404 404 401"),
    ("messaging", "POST", "/threads/none/block", None, "401 404 404 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/threads/none/unblock", None, "401 404 404 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/threads/{thread}/attachments", "form", "401 422 422 422 422 403 403 422 422 401"),
    ("messaging", "GET", "/threads/{thread}/attachments/none", None, "401 404 404 404 404 403 403 404 404 401"),
    ("messaging", "POST", "/threads/{thread}/contact-questions", None, "401 403 403 201 404 403 403 403 403 401"),
    ("messaging", "GET", "/threads/{thread}/contact-questions", None, "401 200 404 200 404 403 403 404 404 401"),
    ("messaging", "POST", "/contact-questions/none/answer", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/threads/{thread}/interviews", BODY, "401 403 403 422 422 403 403 403 403 401"),
    ("messaging", "GET", "/threads/{thread}/interviews", None, "401 200 404 200 404 403 403 404 404 401"),
    ("messaging", "POST", "/interviews/none/choose", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/interviews/none/request-other-times", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/interviews/none/slots", BODY, "401 403 403 422 422 403 403 403 403 401"),
    ("messaging", "POST", "/interviews/none/cancel", BODY, "401 422 422 422 422 403 403 422 422 401"),
    ("messaging", "POST", "/threads/{thread}/offers", BODY, "401 403 403 422 422 403 403 403 403 401"),
    ("messaging", "GET", "/threads/{thread}/offers", None, "401 200 404 200 404 403 403 404 404 401"),
    ("messaging", "POST", "/offers/none/accept", None, "401 404 404 403 403 403 403 403 403 401"),
    ("messaging", "POST", "/offers/none/decline", BODY, "401 422 422 403 403 403 403 403 403 401"),
    # events: admins and recruiters organise; students register and check in
    ("events", "POST", "/events", BODY, "401 403 403 422 422 403 403 422 403 401"),
    ("events", "GET", "/events", None, "401 200 200 200 200 403 403 200 200 401"),
    ("events", "GET", "/events/{event}", None, "401 200 200 200 200 403 403 200 200 401"),
    ("events", "POST", "/events/{event}/cancel", BODY, "401 403 403 422 422 403 403 422 403 401"),
    ("events", "POST", "/events/none/registration", None, "401 404 404 403 403 403 403 403 403 401"),
    ("events", "GET", "/events/{event}/registration", None, "401 404 404 403 403 403 403 403 403 401"),
    ("events", "DELETE", "/events/none/registration", None, "401 404 404 403 403 403 403 403 403 401"),
    ("events", "POST", "/events/{event}/check-ins", BODY, "401 422 422 422 422 403 403 422 403 401"),
    ("events", "GET", "/events/{event}/attendance", None, "401 403 403 200 403 403 403 200 403 401"),
    ("events", "POST", "/events/{event}/interests", BODY, "401 422 422 422 422 403 403 403 403 401"),
    ("events", "GET", "/events/{event}/matches", None, "401 200 200 200 403 403 403 200 403 401"),
    # notify: a person's own records; segment sends by admins and recruiters; LINE linking by services
    ("notify", "GET", "/recipients/cand-1/decisions", None, "401 200 404 404 404 403 403 200 404 401"),
    ("notify", "GET", "/recipients/cand-1/journeys", None, "401 200 404 404 404 403 403 200 404 401"),
    ("notify", "GET", "/recipients/cand-1/channels", None, "401 200 404 404 404 403 403 200 404 401"),
    ("notify", "GET", "/recipients/cand-1/deliveries", None, "401 200 404 404 404 403 403 200 404 401"),
    ("notify", "PUT", "/recipients/cand-1/survey-answers/q1", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("notify", "POST", "/segment-sends", BODY, "401 422 422 422 422 403 403 422 422 401"),
    ("notify", "POST", "/line/link-tokens", BODY, "401 403 403 403 403 403 403 422 422 401"),
    ("notify", "POST", "/recipients/cand-1/line/nonce", BODY, "401 422 422 403 403 403 403 403 403 401"),
    ("notify", "PUT", "/recipients/cand-1/line", BODY, "401 403 403 403 403 403 403 422 422 401"),
    ("notify", "DELETE", "/recipients/cand-1/line", None, "401 404 404 404 404 403 403 404 404 401"),
    ("notify", "GET", "/recipients/cand-1/member-status", None, "401 200 404 404 404 403 403 200 404 401"),
    ("notify", "GET", "/admin/clock", None, "401 403 403 403 403 403 403 404 403 401"),
    ("notify", "PUT", "/admin/clock", BODY, "401 403 403 403 403 403 403 422 403 401"),
    # signed by the provider, not by a token: the same answer whoever calls
    ("notify", "POST", "/webhooks/twilio/status", None, "403 403 403 403 403 403 403 403 403 403"),
    ("notify", "POST", "/webhooks/twilio/inbound", None, "403 403 403 403 403 403 403 403 403 403"),
    ("notify", "POST", "/webhooks/line", None, "403 403 403 403 403 403 403 403 403 403"),
    ("notify", "POST", "/webhooks/email/bounce", None, "403 403 403 403 403 403 403 403 403 403"),
    ("notify", "POST", "/unsubscribe/none", None, "403 403 403 403 403 403 403 403 403 403"),
    ("notify", "GET", "/unsubscribe/none", None, "403 403 403 403 403 403 403 403 403 403"),
]


def path_of(path: str, world: World) -> str:
    return path.format(**world.ids)


async def call(world: World, service: str, method: str, path: str, body: str | None, role: str) -> int:
    client = world.clients[service]
    headers = world.headers(role)
    if body == BODY:
        response = await client.request(method, path, headers={**headers, "Content-Type": "application/json"},
                                        content=BODY)
    elif body == "form":  # a multipart form without its file
        response = await client.request(method, path, headers=headers, data={"unrelated": "x"},
                                        files={"other": ("x.txt", b"x", "text/plain")})
    else:
        response = await client.request(method, path, headers=headers)
    return response.status_code


async def test_every_route_has_a_row():
    """A new endpoint fails here until the table says who may call it (every operation of each
    app's OpenAPI document; only /metrics is left out of the documents)."""
    apps = {"profile": profile_app, "scout": scout_app, "messaging": messaging_app, "events": events_app,
            "notify": notify_app}
    settings = {"profile": ProfileSettings, "scout": ScoutSettings, "messaging": MessagingSettings,
                "events": EventsSettings, "notify": NotifySettings}
    for service in SERVICES:
        paths = apps[service](settings[service]()).openapi()["paths"]
        every = {(method.upper(), path) for path, operations in paths.items() for method in operations} - OPERATIONS
        covered = {(method, route_of(every, method, path)) for s, method, path, _, _ in TABLE if s == service}
        assert {row for row in covered if row[1] is None} == set(), f"{service}: rows of endpoints that do not exist"
        assert every - covered == set(), f"{service}: endpoints without a row"


def route_of(every: set[tuple[str, str]], method: str, path: str) -> str | None:
    """The documented path a row calls: itself when it is literal, else the template it matches."""
    concrete = path.format(thread="t-1", event="e-1", scout="s-1")
    if (method, concrete) in every:
        return concrete
    for documented_method, documented in sorted(every):
        pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(documented)) + "$"
        if documented_method == method and re.match(pattern, concrete):
            return documented
    return None


async def test_every_role_on_every_endpoint(world):
    """The whole table; every cell that differs is listed."""
    wrong = []
    for service, method, path, body, expected in TABLE:
        cells = [(role, want) for role, want in zip(ROLES, expected.split(), strict=True) if want != "---"]
        # the cells of a row do not change each other's answers: asked side by side
        got = await asyncio.gather(*(call(world, service, method, path_of(path, world), body, role)
                                     for role, _ in cells))
        wrong += [f"{service} {method} {path} as {role}: {status}, expected {want}"
                  for (role, want), status in zip(cells, got, strict=True) if str(status) != want]
    if wrong:
        pytest.fail(f"{len(wrong)} cells differ:\n" + "\n".join(wrong), pytrace=False)


@pytest.mark.parametrize("service", SERVICES)
async def test_deactivated_recruiter_and_suspended_company_are_refused(world, service):
    """Through scout's admin API (in the setup): every service refuses them with a 403 that says why,
    while the same request of an active recruiter of the same company goes through."""
    probe = {"profile": ("GET", "/profiles"), "scout": ("GET", "/templates"), "messaging": ("GET", "/threads"),
             "events": ("GET", "/events"), "notify": ("POST", "/segment-sends")}[service]
    body = {"segment": {"graduation_years": [2027]}, "message": "説明会のご案内"} if service == "notify" else None
    client = world.clients[service]
    active = await client.request(*probe, headers=world.headers("recruiter"), json=body)
    assert active.status_code in (200, 202), active.text
    gone = await client.request(*probe, headers=world.headers("deactivated"), json=body)
    assert gone.status_code == 403 and "rec-gone was deactivated" in gone.json()["detail"], gone.text
    suspended = await client.request(*probe, headers=world.headers("suspended"), json=body)
    assert suspended.status_code == 403 and "co-s does not participate now" in suspended.json()["detail"], \
        suspended.text


@pytest.mark.parametrize("service", SERVICES)
async def test_a_claim_of_the_wrong_type_is_401(world, service):
    probe = {"profile": "/profiles", "scout": "/templates", "messaging": "/threads", "events": "/events",
             "notify": "/recipients/cand-1/decisions"}[service]
    answer = await world.clients[service].get(probe, headers=world.headers("bad_claim"))
    assert answer.status_code == 401 and "company_id" in answer.json()["detail"], answer.text


async def test_a_company_id_in_use_answers_409_naming_it(world):
    """A client-chosen key that is taken is refused, never overwritten or dropped."""
    again = await world.clients["scout"].post("/admin/companies", headers=world.headers("admin"), json={
        "company_id": "co-a", "name": "Another", "plan": {"name": "standard"}})
    assert again.status_code == 409 and again.json()["detail"].startswith("company_id:"), again.text
    company = await world.clients["scout"].get("/admin/companies/co-a", headers=world.headers("admin"))
    assert company.json()["name"] == "co-a 株式会社"
