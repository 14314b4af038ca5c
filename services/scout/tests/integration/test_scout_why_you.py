""""Why you" on the real broker: what scout learns of her from profile.events and events.events decides
which reasons it sends, and a lazy reason is refused with what is missing."""

import asyncio
import time
from datetime import datetime, timezone

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import EventAttended, EventPublished, ProfileCreated, ProfileUpdated
from tsunagu_shared.kafka import EventPublisher


async def poll(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")

NOW = datetime(2026, 4, 10, 3, 0, tzinfo=timezone.utc)
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
    await poll(learned)

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
