"""The outbox relay on the real database and broker, including each window a crash can leave."""

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError
from tsunagu_shared import db as database
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileDeleted, ProfileUpdated, utcnow
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.outbox import (
    CARRIED_INDEX,
    OUTBOX,
    PENDING,
    PENDING_INDEX,
    OutboxRelay,
    marker_id,
    new_document,
    outbox_collection,
    tombstone,
    with_events,
)
from tsunagu_shared.outbox.documents import marking
from tsunagu_shared.outbox.wakeup import listen
from tsunagu_shared.testing import TopicReader, kafka_bootstrap, mongo_url, unique_prefix
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name

GRACE = 1.0  # stale_marker_seconds of the relays here


def updated(candidate: str, field: str) -> Envelope:
    event = ProfileUpdated(candidate_id=candidate, changed_fields=[field], updated_at=utcnow())
    return Envelope.wrap(event, source="tests")


@asynccontextmanager
async def outbox_stack():
    """A fresh database and topic prefix, a started publisher, and a relay factory."""
    prefix = unique_prefix()
    await ensure_topics(kafka_bootstrap(), wanted_topics(prefix, 2))
    mongo = database.connect(mongo_url())
    db = mongo[f"{prefix.strip('.')}_outbox"]
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()

    def relay() -> OutboxRelay:  # a new one forgets what an earlier one acknowledged, as after a restart
        return OutboxRelay(db=db, collections=["things"], publisher=publisher, stale_marker_seconds=GRACE)

    try:
        yield db, publisher, relay, topic_name(PROFILE_EVENTS, prefix)
    finally:
        await publisher.stop()
        await mongo.close()


async def published_ids(topic: str, at_least: int = 1, settle: float = 0.5) -> list[str]:
    async with TopicReader(topic) as reader:
        await reader.wait_for(lambda r: len(r) >= at_least)
        return [e.id for e in await reader.settle(settle)]


async def test_relay_publishes_in_order_then_clears_and_removes_tombstones():
    async with outbox_stack() as (db, _, relay_for, topic):
        relay, things = relay_for(), outbox_collection(db, "things")
        first, second, third = updated("c1", "a"), updated("c1", "b"), updated("c2", "c")
        await things.insert_one(new_document({"_id": "c1", "a": 1}, first))
        await things.update_one({"_id": "c1"}, with_events({"$set": {"b": 2}}, second))
        await things.insert_one(new_document({"_id": "c2"}, third))
        gone = Envelope.wrap(ProfileDeleted(candidate_id="c2", deleted_at=utcnow()), source="tests")
        await things.replace_one({"_id": "c2"}, tombstone("c2", gone))

        assert await relay.flush() == 3  # c2's creation event was replaced by its tombstone
        assert await relay.flush() == 0

        c1 = await db.things.find_one({"_id": "c1"})
        assert c1["_pending"] == [] and c1["_outbox"] == {} and c1["b"] == 2
        assert await db.things.find_one({"_id": "c2"}) is None
        # c2's creation event, superseded by the tombstone, will never be published: its marker
        # is kept (a write could still be under way) until the grace has passed
        assert [m["d"] for m in await db[PENDING_INDEX].find({}).to_list()] == [["c2"]]
        await asyncio.sleep(GRACE + 0.2)
        assert await relay.flush() == 0
        assert await db[PENDING_INDEX].count_documents({}) == 0
        envelopes = [e for e in await _envelopes(topic, 3)]
        by_subject = {s: [e.id for e in envelopes if e.subject == s] for s in ("c1", "c2")}
        assert by_subject == {"c1": [first.id, second.id], "c2": [gone.id]}


async def test_documents_inserted_together_share_one_marker_and_a_replay_adds_nothing():
    async with outbox_stack() as (db, _, relay_for, topic):
        things = outbox_collection(db, "things")
        events = [updated(f"c{n}", "a") for n in range(120)]
        await things.insert_many([new_document({"_id": f"c{n}"}, e) for n, e in enumerate(events)])
        assert await db[PENDING_INDEX].count_documents({}) == 1
        with pytest.raises(BulkWriteError):  # the same rows again, as an import replaying a chunk
            await things.insert_many([new_document({"_id": f"c{n}"}, updated(f"c{n}", "a")) for n in range(120)],
                                     ordered=False)
        replayed = [m for m in await db[PENDING_INDEX].find({}).to_list() if len(m["events"]) == 0]
        assert len(replayed) == 1  # its ids were taken off again: nothing of it will be published

        assert await relay_for().flush(batch_size=50) == 120
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert sorted(await published_ids(topic, 120)) == sorted(e.id for e in events)


async def test_marker_whose_document_write_has_not_happened_yet_is_kept_then_dropped_after_the_grace():
    """Crash window 1: the marker was written, the document write never happened (or not yet)."""
    async with outbox_stack() as (db, _, relay_for, topic):
        relay = relay_for()
        late, never = updated("late", "a"), updated("never", "a")
        now = datetime.now(UTC)
        for document_id, event in (("late", late), ("never", never)):  # what the writers got done
            await db[PENDING_INDEX].update_one({"_id": marker_id("things", document_id)},
                                               marking("things", document_id, [event.id], now), upsert=True)

        assert await relay.flush() == 0  # neither document holds anything yet
        assert await db[PENDING_INDEX].count_documents({}) == 2  # a write may still be under way

        await db.things.insert_one(new_document({"_id": "late"}, late))  # the write lands late
        assert await relay.flush() == 1
        assert await db[PENDING_INDEX].find_one({"_id": marker_id("things", "late")}) is None

        await asyncio.sleep(GRACE + 0.2)
        assert await relay.flush() == 0
        assert await db[PENDING_INDEX].count_documents({}) == 0  # the write that never happened is given up
        assert await published_ids(topic) == [late.id]


async def test_writes_that_did_not_happen_take_their_events_off_the_marker():
    async with outbox_stack() as (db, _, relay_for, topic):
        things = outbox_collection(db, "things")
        created, refused, conflicted = updated("c1", "a"), updated("c1", "b"), updated("c1", "c")
        await things.insert_one(new_document({"_id": "c1", "version": 1}, created))
        with pytest.raises(DuplicateKeyError):
            await things.insert_one(new_document({"_id": "c1", "version": 1}, refused))
        result = await things.update_one({"_id": "c1", "version": 2}, with_events({"$set": {"x": 1}}, conflicted))
        assert result.matched_count == 0

        mark = await db[PENDING_INDEX].find_one({"_id": marker_id("things", "c1")})
        assert list(mark["events"]) == [created.id]
        assert await relay_for().flush() == 1
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert await published_ids(topic) == [created.id]


async def test_events_published_but_not_acknowledged_go_out_again_with_the_same_id():
    """Crash window 2: the document was written and published, the relay died before acknowledging."""
    async with outbox_stack() as (db, publisher, relay_for, topic):
        things = outbox_collection(db, "things")
        event = updated("c1", "a")
        await things.insert_one(new_document({"_id": "c1"}, event))
        await publisher.publish(event)  # what the relay that died got done

        assert await relay_for().flush() == 1
        document = await db.things.find_one({"_id": "c1"})
        assert document[PENDING] == [] and document[OUTBOX] == {}
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert await published_ids(topic, 2) == [event.id, event.id]  # consumers skip the second


async def test_acknowledged_document_whose_marker_was_not_deleted_publishes_nothing_more():
    """Crash window 3: acknowledged in the document, the relay died before deleting the marker."""
    async with outbox_stack() as (db, publisher, relay_for, topic):
        things = outbox_collection(db, "things")
        event = updated("c1", "a")
        await things.insert_one(new_document({"_id": "c1"}, event))
        await publisher.publish(event)
        await db.things.update_one({"_id": "c1"}, {"$pullAll": {PENDING: [event.id]},
                                                   "$unset": {f"{OUTBOX}.{event.id}": ""}})

        relay = relay_for()  # after the restart
        assert await relay.flush() == 0
        assert await db[PENDING_INDEX].count_documents({}) == 1  # not yet known to be stale
        await asyncio.sleep(GRACE + 0.2)
        assert await relay.flush() == 0
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert await published_ids(topic) == [event.id]


async def test_a_document_marked_again_while_the_relay_works_keeps_its_marker():
    async with outbox_stack() as (db, _, relay_for, topic):
        relay, things = relay_for(), outbox_collection(db, "things")
        first, second = updated("c1", "a"), updated("c1", "b")
        await things.insert_one(new_document({"_id": "c1"}, first))
        seen = await db[PENDING_INDEX].find({}).to_list()  # what the relay read before the next write
        await things.update_one({"_id": "c1"}, with_events({"$set": {"b": 2}}, second))

        assert await relay._flush_batch(seen) == 2  # the document already holds both events
        assert await db[PENDING_INDEX].count_documents({}) == 1  # marked since: kept
        assert await relay.flush() == 0  # both ids were acknowledged by this relay: settled at once
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert await published_ids(topic, 2) == [first.id, second.id]


async def test_an_insert_whose_events_travel_beside_its_documents_publishes_each_once():
    async with outbox_stack() as (db, _, relay_for, topic):
        things = outbox_collection(db, "things")
        events = [updated(f"c{n}", "a") for n in range(30)]
        await things.insert_carried([new_document({"_id": f"c{n}"}, e) for n, e in enumerate(events)], ordered=False)
        with pytest.raises(BulkWriteError):  # a replay: refused, its new events must never go out
            await things.insert_carried([new_document({"_id": f"c{n}"}, updated(f"c{n}", "a")) for n in range(30)],
                                        ordered=False)
        stored = await db.things.find_one({"_id": "c0"})
        assert PENDING not in stored and OUTBOX not in stored  # nothing to read or acknowledge per document

        assert await relay_for().flush() == 30
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert await db[CARRIED_INDEX].count_documents({}) == 0
        assert sorted(await published_ids(topic, 30)) == sorted(e.id for e in events)


async def test_an_insert_whose_writer_died_before_confirming_publishes_what_it_wrote_after_the_grace():
    """Crash windows of an insert whose events travel beside its documents: marked and carried,
    then (a) nothing written, (b) the documents written, the confirmation never."""
    async with outbox_stack() as (db, _, relay_for, topic):
        things = outbox_collection(db, "things")
        written, refused = updated("w", "a"), updated("r", "a")
        await db.things.insert_one({"_id": "r"})  # exists already: the second insert is refused for it
        with pytest.raises(BulkWriteError):
            await things.insert_carried([new_document({"_id": "w"}, written), new_document({"_id": "r"}, refused)],
                                        ordered=False)
        await db[PENDING_INDEX].update_many({}, {"$set": {"confirmed": False}})  # as if it died before confirming
        never = updated("n", "a")
        await things.insert_carried([new_document({"_id": "n"}, never), new_document({"_id": "n2"}, updated("n", "b"))])
        await db.things.delete_many({"_id": {"$in": ["n", "n2"]}})  # as if the documents were never written
        await db[PENDING_INDEX].update_many({}, {"$set": {"confirmed": False}})

        relay = relay_for()
        assert await relay.flush() == 0  # the inserts may still be under way
        await asyncio.sleep(GRACE + 0.2)
        assert await relay.flush() == 1  # only the document the first insert wrote
        assert await db[PENDING_INDEX].count_documents({}) == 0
        assert await db[CARRIED_INDEX].count_documents({}) == 0
        assert await published_ids(topic) == [written.id]


async def test_pending_events_without_a_marker_are_found_at_start():
    async with outbox_stack() as (db, _, relay_for, topic):
        event = updated("c1", "a")
        await db.things.insert_one(new_document({"_id": "c1"}, event))  # written before markers existed
        relay = relay_for()
        assert await relay.flush() == 0
        assert await relay.mark_unmarked() == 1
        assert await relay.mark_unmarked() == 0
        assert await relay.flush() == 1
        assert await published_ids(topic) == [event.id]


async def _envelopes(topic: str, at_least: int) -> list[Envelope]:
    async with TopicReader(topic) as reader:
        await reader.wait_for(lambda r: len(r) >= at_least)
        return await reader.settle(0.5)



class Counting:  # a relay that counts its wakes
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


async def test_a_write_with_events_wakes_the_relays_of_its_database_only():
    async with outbox_stack() as (db, _, _relay_for, _topic):
        mine, other = Counting(), Counting()
        listen(db, mine)
        listen(db.client[f"{db.name}_other"], other)
        things = outbox_collection(db.client[db.name], "things")  # another object for the same database

        await things.insert_one({"_id": "quiet"})
        await things.update_one({"_id": "quiet"}, {"$set": {"a": 1}})
        assert mine.wakes == 0

        await things.insert_one(new_document({"_id": "c1"}, updated("c1", "a")))
        await things.update_one({"_id": "c1"}, with_events({"$set": {"b": 2}}, updated("c1", "b")))
        await things.insert_carried([new_document({"_id": "c2"}, updated("c2", "a"))])
        assert mine.wakes == 3 and other.wakes == 0


async def test_the_relay_publishes_a_write_at_once_without_waiting_for_its_poll():
    async with outbox_stack() as (db, publisher, _relay_for, topic):
        relay = OutboxRelay(db=db, collections=["things"], publisher=publisher, poll_seconds=60)
        running = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(0.5)  # its first look found nothing: the next is a minute away
            event = updated("c1", "a")
            await outbox_collection(db, "things").insert_one(new_document({"_id": "c1"}, event))
            assert await asyncio.wait_for(published_ids(topic, settle=0.1), timeout=10) == [event.id]
        finally:
            relay.stop()
            await running
