"""The "sent" and "received" lists read from the scouts index: pages, who sees what, a sender's
own scout at once, changes without an event of their own, erasure, a rebuild from the store, and
expiry found through due buckets."""

import asyncio
import time

from tsunagu_scout.adapters.scout_index import scout_document
from tsunagu_scout.rebuild import rebuild
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileDeleted, ReplyReceived


async def until(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def listed(stack, path: str, headers: dict, **params) -> list[dict]:
    answer = await stack.client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_sent_pages_by_state_and_a_sender_sees_her_scout_at_once(stack):
    await stack.company("acme")
    await stack.company("other")
    for n in range(5):
        await stack.student_known(f"s{n}")
        await stack.send("acme", f"s{n}")  # each read back at once, below, without waiting
        stack.clock.advance(minutes=1)
        assert (await listed(stack, "/scouts/sent", stack.recruiter("acme")))[0]["candidate_id"] == f"s{n}"
    await stack.send("other", "s0")

    first = await stack.client.get("/scouts/sent", params={"limit": 2}, headers=stack.recruiter("acme"))
    assert [s["candidate_id"] for s in first.json()] == ["s4", "s3"]
    pages, cursor = [s["candidate_id"] for s in first.json()], first.headers["X-Next-Cursor"]
    while cursor:
        page = await stack.client.get("/scouts/sent", params={"limit": 2, "cursor": cursor},
                                      headers=stack.recruiter("acme"))
        pages += [s["candidate_id"] for s in page.json()]
        cursor = page.headers.get("X-Next-Cursor")
    assert pages == ["s4", "s3", "s2", "s1", "s0"], "another company's scout is not in acme's list"

    scout_id = (await listed(stack, "/scouts/sent", stack.recruiter("acme")))[-1]["scout_id"]
    declined = await stack.client.post(f"/scouts/{scout_id}/decline", headers=stack.student("s0"))
    assert declined.status_code == 200, declined.text
    assert [s["candidate_id"] for s in await listed(stack, "/scouts/sent", stack.recruiter("acme"),
                                                    state="declined")] == ["s0"]
    assert len(await listed(stack, "/scouts/sent", stack.recruiter("acme"), state="awaiting")) == 4
    bad = await stack.client.get("/scouts/sent", params={"state": "lost"}, headers=stack.recruiter("acme"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "state"]
    forged = await stack.client.get("/scouts/sent", params={"cursor": "bm90LWEtY3Vyc29y"},
                                    headers=stack.recruiter("acme"))
    assert forged.status_code == 422 and forged.json()["detail"][0]["loc"] == ["query", "cursor"]
    # a received-list cursor is not a sent-list one
    received = await stack.client.get("/scouts/received", params={"limit": 1}, headers=stack.student("s0"))
    other_cursor = received.headers["X-Next-Cursor"]
    mixed = await stack.client.get("/scouts/sent", params={"cursor": other_cursor}, headers=stack.recruiter("acme"))
    assert mixed.status_code == 422


async def test_received_premium_first_only_her_own_and_her_view_at_once(stack):
    await stack.company("acme")
    await stack.company("beta")
    await stack.company("gamma")
    await stack.student_known("hana")
    await stack.student_known("yuki")
    regular = (await stack.send("acme", "hana")).json()
    stack.clock.advance(minutes=1)
    await stack.send("beta", "hana")
    stack.clock.advance(minutes=1)
    premium = (await stack.send("gamma", "hana", tier="premium")).json()
    await stack.send("acme", "yuki")

    mine = await listed(stack, "/scouts/received", stack.student("hana"))
    assert [s["company_id"] for s in mine] == ["gamma", "beta", "acme"]
    assert [s["company_id"] for s in await listed(stack, "/scouts/received", stack.student("yuki"))] == ["acme"]
    viewed = await stack.client.post(f"/scouts/{regular['scout_id']}/view", headers=stack.student("hana"))
    assert viewed.status_code == 200
    mine = {s["scout_id"]: s for s in await listed(stack, "/scouts/received", stack.student("hana"))}
    assert mine[regular["scout_id"]]["viewed_at"] and mine[premium["scout_id"]]["viewed_at"] is None


async def test_a_reply_and_an_erasure_reach_the_lists_without_events_of_their_own(stack):
    await stack.company("acme")
    await stack.student_known("hana")
    await stack.student_known("yuki")
    to_hana = (await stack.send("acme", "hana")).json()
    to_yuki = (await stack.send("acme", "yuki")).json()
    reply = ReplyReceived(thread_id="th-1", message_id="m-1", company_id="acme", candidate_id="hana",
                          scout_id=to_hana["scout_id"], replied_at=stack.clock.now())
    await stack.container.events.on_event(Envelope.wrap(reply, source="tests/messaging"))
    deleted = ProfileDeleted(candidate_id="yuki", deleted_at=stack.clock.now())
    await stack.container.events.on_event(Envelope.wrap(deleted, source="tests/profile"))

    async def both_changed():
        await stack.container.scouting.projection.index.refresh()
        shown = {s["scout_id"]: s for s in await listed(stack, "/scouts/sent", stack.recruiter("acme"))}
        return (shown[to_hana["scout_id"]]["state"] == "replied" and shown[to_yuki["scout_id"]]["state"] == "withdrawn"
                and shown[to_yuki["scout_id"]]["reason"] == "")
    await until(both_changed)


async def test_a_late_projection_never_replaces_a_newer_one_and_the_index_is_rebuilt(stack):
    await stack.company("acme")
    for name in ("r1", "r2", "r3"):
        await stack.student_known(name)
        await stack.send("acme", name)
    scouts = {s["candidate_id"]: s for s in await listed(stack, "/scouts/sent", stack.recruiter("acme"))}
    before = await stack.container.scouting.scouts.get(scouts["r2"]["scout_id"])
    await stack.client.post(f"/scouts/{before.scout_id}/decline", headers=stack.student("r2"))
    index = stack.container.scouting.projection.index
    assert await index.put(scout_document(before)) is False, "the awaiting version is older than the declined"

    await index.drop()
    gone = await stack.client.get("/scouts/sent", headers=stack.recruiter("acme"))
    assert gone.status_code == 503 and gone.headers["Retry-After"] == "5", "a missing index is unavailable, not empty"
    assert await rebuild(stack.settings) == 3
    shown = {s["candidate_id"]: s["state"] for s in await listed(stack, "/scouts/sent", stack.recruiter("acme"))}
    assert shown == {"r1": "awaiting", "r2": "declined", "r3": "awaiting"}


async def test_expiry_is_found_by_its_due_minute_and_frees_the_slot(stack):
    await stack.company("acme", max_awaiting=2)
    for name in ("early", "late"):
        await stack.student_known(name)
    early = (await stack.send("acme", "early")).json()
    stack.clock.advance(hours=2)
    late = (await stack.send("acme", "late")).json()
    stack.clock.advance(days=29, hours=23)  # an hour past the first one's expiry, an hour before the second's

    async def expired_and_its_bucket_emptied():  # the sweep closes the scout, then empties its bucket
        return ((await stack.container.scouting.scouts.get(early["scout_id"])).state == "expired"
                and await stack.container.scouting.expiry.pending() == 1)
    await until(expired_and_its_bucket_emptied)  # the late one waits in its own minute
    assert (await stack.container.scouting.scouts.get(late["scout_id"])).state == "awaiting"
    assert (await stack.client.get("/companies/me", headers=stack.recruiter("acme"))).json()["awaiting"] == 1

    async def shown_expired():
        await stack.container.scouting.projection.index.refresh()
        states = {s["scout_id"]: s["state"] for s in await listed(stack, "/scouts/sent", stack.recruiter("acme"))}
        return states == {early["scout_id"]: "expired", late["scout_id"]: "awaiting"}
    await until(shown_expired)

    stack.clock.advance(hours=2)

    async def late_expired_and_its_bucket_emptied():
        return ((await stack.container.scouting.scouts.get(late["scout_id"])).state == "expired"
                and await stack.container.scouting.expiry.pending() == 0)
    await until(late_expired_and_its_bucket_emptied)


async def test_a_slot_a_crash_left_held_is_freed_by_the_settle_sweep(stack):
    await stack.company("acme", max_awaiting=1)
    await stack.student_known("hana")
    scouting = stack.container.scouting
    scout = (await stack.send("acme", "hana")).json()
    # what a crash between closing a scout and freeing its slot leaves behind
    closed = await scouting._close(scout["scout_id"], {"state": "withdrawn", "closed_at": stack.clock.now()})
    assert closed is not None and not closed.slot_released
    assert (await stack.client.get("/companies/me", headers=stack.recruiter("acme"))).json()["awaiting"] == 1
    stack.clock.advance(minutes=3)  # past the grace the normal path has to free it itself

    async def freed():
        return (await scouting.scouts.get(scout["scout_id"])).slot_released
    await until(freed)
    assert (await stack.client.get("/companies/me", headers=stack.recruiter("acme"))).json()["awaiting"] == 0

    async def bucket_emptied():
        return await scouting.settling.pending() == 0
    await until(bucket_emptied)
