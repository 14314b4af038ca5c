"""Decline, block, expiry, replies and "please scout me", with their events on the real broker; "why you":
what scout learns of her from profile.events and events.events decides which reasons it sends."""

import asyncio
import time
from datetime import UTC, datetime

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import EventAttended, EventPublished, ProfileCreated, ProfileUpdated, ReplyReceived
from tsunagu_shared.kafka import EventPublisher
from tsunagu_shared.testing import TopicReader
from tsunagu_shared.topics import SCOUT_EVENTS, topic_name


async def poll(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def test_decline_cooldown_block_and_reason_rules(stack):
    await stack.company("acme", max_awaiting=1)
    await stack.student_known("hana")
    await stack.student_known("yuki")
    assert (await stack.send("acme", "hana", reason="   ")).status_code == 422
    assert (await stack.send("acme", "ghost")).status_code == 404
    async with TopicReader(topic_name(SCOUT_EVENTS, stack.settings.topic_prefix)) as reader:
        scout = (await stack.send("acme", "hana")).json()
        assert scout["company_name"] == "acme Inc." and scout["recruiter_name"] == "Sato Aiko"
        assert (await stack.send("acme", "yuki")).status_code == 409  # the one awaiting slot is held
        assert (await stack.send("acme", "hana")).status_code == 409  # already awaiting her answer
        assert (await stack.client.post(f"/scouts/{scout['scout_id']}/view", headers=stack.student("yuki"))
                ).status_code == 404  # not hers
        assert (await stack.client.post(f"/scouts/{scout['scout_id']}/view", headers=stack.student("hana"))
                ).json()["viewed_at"]
        declined = await stack.client.post(f"/scouts/{scout['scout_id']}/decline", json={"reason": "not now"},
                                           headers=stack.student("hana"))
        assert declined.json()["state"] == "declined"
        again = await stack.send("acme", "hana")
        assert again.status_code == 409 and "cooldown" in again.json()["detail"]
        assert (await stack.send("acme", "yuki")).status_code == 201  # the decline freed the slot
        await reader.wait_for_types("CompanyStatusChanged", "RecruiterChanged", "ScoutSent", "ScoutViewed",
                                    "ScoutDeclined", "ScoutSent")
        sent = [e.event() for e in reader.envelopes() if e.type == "ScoutSent"]
        assert sent[0].company_name == "acme Inc." and sent[0].recruiter_name == "Sato Aiko"

    stack.clock.advance(days=181)
    assert (await stack.client.put("/blocks/acme", headers=stack.student("hana"))).status_code == 204
    blocked = await stack.send("acme", "hana")
    assert blocked.status_code == 409 and "blocked" in blocked.json()["detail"]


async def test_unanswered_scouts_expire_and_a_reply_frees_the_slot(stack):
    await stack.company("acme", max_awaiting=1)
    await stack.student_known("hana")
    await stack.student_known("yuki")
    scout = (await stack.send("acme", "hana")).json()
    stack.clock.advance(days=31)

    async def expired():
        return (await stack.container.scouting.scouts.get(scout["scout_id"])).state == "expired"
    await poll(expired)  # the sweeper, running every 0.2 s in tests
    no_reply = await stack.send("acme", "hana")
    assert no_reply.status_code == 409 and "cooldown" in no_reply.json()["detail"]
    second = (await stack.send("acme", "yuki")).json()

    publisher = EventPublisher(bootstrap=stack.settings.kafka_bootstrap, topic_prefix=stack.settings.topic_prefix)
    await publisher.start()
    try:
        reply = ReplyReceived(thread_id="th-1", message_id="m-1", company_id="acme", candidate_id="yuki",
                              scout_id=second["scout_id"], replied_at=stack.clock.now())
        await publisher.publish(Envelope.wrap(reply, source="tests/messaging"))
    finally:
        await publisher.stop()

    async def replied():
        return (await stack.container.scouting.scouts.get(second["scout_id"])).state == "replied"
    await poll(replied)
    usage = (await stack.client.get("/companies/me", headers=stack.recruiter("acme"))).json()
    assert usage["awaiting"] == 0
    in_thread = await stack.send("acme", "yuki")
    assert in_thread.status_code == 409 and "thread" in in_thread.json()["detail"]


async def test_recommendations_and_one_scout_request_per_period(stack):
    await stack.company("acme", industries=["IT"], location="Tokyo")
    await stack.company("other", industries=["Food"])
    await stack.student_known("hana", industries=["IT"], location="Tokyo")
    listed = (await stack.client.get("/recommendations/me", headers=stack.student("hana"))).json()
    assert listed[0]["company_id"] == "acme"
    first = await stack.client.post("/recommendations/me/acme/scout-request", headers=stack.student("hana"))
    assert first.status_code == 201
    second = await stack.client.post("/recommendations/me/acme/scout-request", headers=stack.student("hana"))
    assert second.status_code == 409
    signals = (await stack.client.get("/companies/me/signals", headers=stack.recruiter("acme"))).json()
    assert [s["candidate_id"] for s in signals] == ["hana"]


NOW = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
LAZY = ["1234567890", "..........", "ああああああああああ", "We think you would be a great fit for our company."]


async def test_a_scout_must_name_something_of_hers_learned_from_her_events(stack):
    await stack.company("acme")
    publisher = EventPublisher(bootstrap=stack.settings.kafka_bootstrap, topic_prefix=stack.settings.topic_prefix)
    await publisher.start()
    try:
        for event in (
            ProfileCreated(candidate_id="mio", display_name="Mio", school="大阪大学", faculty="基礎工学部",
                           self_pr="画像認識で農作物の病気を見つけるアプリを作りました。", created_at=NOW),
            ProfileUpdated(candidate_id="mio", changed_fields=["job_types", "languages"],
                           changes={"job_types": ["データサイエンティスト"],
                                    "languages": [{"language": "en", "level": "business"}]}, updated_at=NOW),
            EventPublished(event_id="ev-1", kind="matching_event", title="関西AIハッカソン", starts_at=NOW,
                           time_zone="Asia/Tokyo", capacity=50, published_at=NOW),
            EventAttended(event_id="ev-1", registration_id="r-1", candidate_id="mio", attended_at=NOW),
        ):
            await publisher.publish(Envelope.wrap(event, source="tests"))
    finally:
        await publisher.stop()

    async def learned() -> bool:
        mio = await stack.container.scouting.candidates.get("mio")
        return mio is not None and mio.events_attended == ["関西AIハッカソン"] and mio.languages == ["en"]
    await poll(learned, timeout=60.0)  # four events through a consumer group joined moments ago, on a busy machine

    for lazy in LAZY:
        refused = await stack.send("acme", "mio", reason=lazy)
        assert refused.status_code == 422, (lazy, refused.text)
        assert "what_in_her_profile" in refused.json()["detail"] and "self-PR" in refused.json()["detail"]
    assert "generic sentence" in (await stack.send("acme", "mio", reason=LAZY[3])).json()["detail"]

    # Her event: the reason names the hackathon she attended.
    sent = await stack.send("acme", "mio", reason="関西AIハッカソンでの発表が印象に残り、ご連絡しました。")
    assert sent.status_code == 201, sent.text
    assert (await stack.client.post(f"/scouts/{sent.json()['scout_id']}/decline", json={},
                                    headers=stack.student("mio"))).status_code == 200

    # Another company, a plain reason, and an explicit answer: allowed, and she sees the answer.
    await stack.company("beta")
    answered = await stack.send("beta", "mio", reason="当社の名古屋工場で一緒に働きませんか。",
                                what_in_her_profile="農作物の画像認識アプリ（自己PR）")
    assert answered.status_code == 201, answered.text
    hers = (await stack.client.get("/scouts/received", headers=stack.student("mio"))).json()
    assert [s["what_in_her_profile"] for s in hers if s["company_id"] == "beta"] == ["農作物の画像認識アプリ（自己PR）"]
