"""Who may call what: every endpoint × every kind of caller, and nothing leaks to the refused."""

import pytest

SECRETS = ("Hanako Yamada", "hanako@example.jp", "+819012345678", "Secret Lab")
ANSWERS = {f"q{i:02d}": 4 for i in range(1, 16)}


async def _prepare(stack):
    """cand-a (with photo) and cand-b exist; co-on is active, co-off joined then left."""
    await stack.create("cand-a", display_name="Hanako Yamada", email="hanako@example.jp",
                       phone="+819012345678", school="Secret Lab")
    upload = await stack.client.put("/profiles/me/photo", headers=stack.candidate("cand-a"),
                                    files={"photo": ("a.png", stack.png, "image/png")})
    assert upload.status_code == 200, upload.text
    await stack.create("cand-b")
    for company, recruiter in (("co-on", "rec-on"), ("co-off", "rec-off")):
        await stack.company(company, status="active", change="joined", recruiters=(recruiter,))
    off = stack.recruiter("rec-off", "co-off")
    await stack.eventually(lambda: _search_ok(stack, off), what="co-off joined")
    await stack.company("co-off", status="inactive", change="left")
    await stack.eventually(lambda: _search_refused(stack, off), what="co-off left")
    await stack.eventually(lambda: _search_ok(stack, stack.recruiter("rec-on", "co-on")), what="co-on joined")


async def _search_ok(stack, headers) -> bool:
    return await stack.search_status(headers) == 200


async def _search_refused(stack, headers) -> bool:
    return await stack.search_status(headers) == 403


# (method, path, request kwargs) -> expected status per caller.
# Callers: own = cand-a, other = cand-b, rec = recruiter of active company, gone = recruiter of
# inactive company, svc = service token, anon = no token.
MATRIX = [
    ("GET", "/profiles/cand-a", {}, dict(own=200, other=404, rec=200, gone=403, svc=200, anon=401)),
    ("GET", "/profiles/cand-a/photo", {}, dict(own=200, other=404, rec=200, gone=403, svc=200, anon=401)),
    ("GET", "/profiles", {}, dict(own=403, other=403, rec=200, gone=403, svc=200, anon=401)),
    ("GET", "/profiles/cand-a/contact-preferences", {}, dict(own=200, other=404, rec=403, gone=403, svc=200, anon=401)),
    ("PATCH", "/profiles/cand-a/contact-preferences", {"json": {"locale": "en"}},
     dict(own=200, other=404, rec=403, gone=403, svc=200, anon=401)),
    ("GET", "/profiles/me", {}, dict(own=200, other=200, rec=403, gone=403, svc=403, anon=401)),
    ("PATCH", "/profiles/me", {"json": {"location": "Tokyo"}},
     dict(own=200, other=200, rec=403, gone=403, svc=403, anon=401)),
    ("POST", "/profiles/me", {"json": {"display_name": "X"}},
     dict(own=409, other=409, rec=403, gone=403, svc=403, anon=401)),
    ("PUT", "/profiles/me/selection-progress", {"json": {"entries": []}},
     dict(own=200, other=200, rec=403, gone=403, svc=403, anon=401)),
    ("GET", "/profiles/personality-test", {}, dict(own=200, other=200, rec=200, gone=403, svc=200, anon=401)),
    ("POST", "/profiles/me/personality-test", {"json": {"answers": ANSWERS}},
     dict(own=200, other=200, rec=403, gone=403, svc=403, anon=401)),
    ("GET", "/profiles/me/photo", {}, dict(own=200, other=404, rec=403, gone=403, svc=403, anon=401)),
    ("DELETE", "/profiles/me/photo", {}, dict(rec=403, gone=403, svc=403, anon=401)),
    ("DELETE", "/profiles/me", {}, dict(rec=403, gone=403, svc=403, anon=401)),
]


@pytest.mark.slow
async def test_every_endpoint_answers_each_caller_as_the_rules_say(stack):
    await _prepare(stack)
    callers = {
        "own": stack.candidate("cand-a"), "other": stack.candidate("cand-b"),
        "rec": stack.recruiter("rec-on", "co-on"), "gone": stack.recruiter("rec-off", "co-off"),
        "svc": stack.service(), "anon": {},
    }
    failures = []
    for method, path, kwargs, expected in MATRIX:
        for caller, status in expected.items():
            response = await stack.client.request(method, path, headers=callers[caller], **kwargs)
            if response.status_code != status:
                failures.append(f"{method} {path} as {caller}: {response.status_code} != {status} {response.text}")
            if response.status_code >= 400 or caller == "other":
                leaked = [s for s in SECRETS if s in response.text]
                if leaked:
                    failures.append(f"{method} {path} as {caller} leaked {leaked}")
            if response.headers.get("X-Robots-Tag", "").split(",")[0] != "noindex":
                failures.append(f"{method} {path} as {caller}: no X-Robots-Tag noindex")
    assert not failures, "\n".join(failures)


async def test_recruiters_never_see_contact_points(stack):
    await _prepare(stack)
    rec = stack.recruiter("rec-on", "co-on")
    one = await stack.client.get("/profiles/cand-a", headers=rec)

    async def indexed() -> bool:  # search reads the index, which the projector fills
        return "cand-a" in (await stack.client.get("/profiles", headers=rec)).text
    await stack.eventually(indexed, what="cand-a in search")
    page = await stack.client.get("/profiles", headers=rec)
    assert one.json()["display_name"] == "Hanako Yamada" and one.json()["has_photo"] is True
    for body in (one.text, page.text):
        assert "hanako@example.jp" not in body and "+819012345678" not in body
    assert "cand-a" in [p["candidate_id"] for p in page.json()["items"]]


async def test_a_recruiter_removed_by_her_company_loses_access(stack):
    await stack.create("cand-a")
    await stack.company("co-on", status="active", change="joined", recruiters=("rec-1",))
    rec = stack.recruiter("rec-1", "co-on")
    await stack.eventually(lambda: _search_ok(stack, rec), what="company joined")
    await stack.recruiter_changed("rec-1", "co-on", active=False)
    await stack.eventually(lambda: _search_refused(stack, rec), what="recruiter removed")
    assert (await stack.client.get("/profiles/cand-a", headers=rec)).status_code == 403
