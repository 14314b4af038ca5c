"""The outbox relay on the real database and broker."""

from tsunagu_shared import db as database
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileDeleted, ProfileUpdated, utcnow
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.outbox import OutboxRelay, new_document, tombstone, with_events
from tsunagu_shared.testing import TopicReader, kafka_bootstrap, mongo_url, unique_prefix
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name


def updated(candidate: str, field: str) -> Envelope:
    event = ProfileUpdated(candidate_id=candidate, changed_fields=[field], updated_at=utcnow())
    return Envelope.wrap(event, source="tests")


async def test_relay_publishes_in_order_then_clears_and_removes_tombstones():
    prefix = unique_prefix()
    await ensure_topics(kafka_bootstrap(), wanted_topics(prefix, 2))
    mongo = database.connect(mongo_url())
    db = mongo[f"{prefix.strip('.')}_outbox"]
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()
    relay = OutboxRelay(db=db, collections=["things"], publisher=publisher)
    try:
        first, second, third = updated("c1", "a"), updated("c1", "b"), updated("c2", "c")
        await db.things.insert_one(new_document({"_id": "c1", "a": 1}, first))
        await db.things.update_one({"_id": "c1"}, with_events({"$set": {"b": 2}}, second))
        await db.things.insert_one(new_document({"_id": "c2"}, third))
        gone = Envelope.wrap(ProfileDeleted(candidate_id="c2", deleted_at=utcnow()), source="tests")
        await db.things.replace_one({"_id": "c2"}, tombstone("c2", gone))

        assert await relay.flush() == 3  # c2's creation event was replaced by its tombstone
        assert await relay.flush() == 0

        c1 = await db.things.find_one({"_id": "c1"})
        assert c1["_pending"] == [] and c1["_outbox"] == {} and c1["b"] == 2
        assert await db.things.find_one({"_id": "c2"}) is None
        async with TopicReader(topic_name(PROFILE_EVENTS, prefix)) as reader:
            await reader.wait_for(lambda r: len(r) >= 3)
            envelopes = await reader.settle(0.5)
        by_subject = {s: [e.id for e in envelopes if e.subject == s] for s in ("c1", "c2")}
        assert by_subject == {"c1": [first.id, second.id], "c2": [gone.id]}
    finally:
        await publisher.stop()
        await mongo.close()
