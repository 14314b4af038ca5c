"""The consumer helper on the real broker and database: poison to DLQ, redelivery once."""

import asyncio

from prometheus_client import REGISTRY
from pymongo.errors import OperationFailure
from tsunagu_shared import db as database
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyBlocked, ScoutSent
from tsunagu_shared.kafka import EventConsumer, EventPublisher, PermanentError, ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.processed import ProcessedEvents
from tsunagu_shared.samples import build
from tsunagu_shared.testing import TopicReader, kafka_bootstrap, mongo_url, unique_prefix
from tsunagu_shared.topics import SCOUT_EVENTS, dlq_name, topic_name


class Harness:
    def __init__(self, handle, *, partitions: int = 2, key_concurrency: int = 1, types=None):
        self.partitions, self.key_concurrency, self.types = partitions, key_concurrency, types
        self.prefix = unique_prefix()
        self.topic = topic_name(SCOUT_EVENTS, self.prefix)
        self.dlq = dlq_name("probe", self.prefix)
        self.mongo = database.connect(mongo_url())
        self.handle = handle

    async def __aenter__(self):
        await ensure_topics(kafka_bootstrap(), {**wanted_topics(self.prefix, self.partitions), self.dlq: 1})
        self.publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=self.prefix)
        await self.publisher.start()
        self.consumer = self.new_consumer()
        await self.consumer.start()
        self.task = asyncio.create_task(self.consumer.run())
        return self

    def new_consumer(self, kafka_group: str = "probe"):
        return EventConsumer(
            bootstrap=kafka_bootstrap(), group=f"{self.prefix}{kafka_group}", topics=[self.topic], dlq_topic=self.dlq,
            handle=self.handle, processed=ProcessedEvents(self.mongo[f"{self.prefix.strip('.')}_probe"], "probe"),
            publisher=self.publisher, max_attempts=2, backoff_seconds=0.05, key_concurrency=self.key_concurrency,
            types=self.types,
        )

    async def __aexit__(self, *exc):
        await self.consumer.stop()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.publisher.stop()
        await self.mongo.close()


async def wait_until(condition, timeout=60.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_consumer_goes_on():
    handled: list[str] = []

    async def handle(envelope: Envelope) -> None:
        if envelope.event().reason == "explode":
            raise PermanentError("this scout cannot be handled")
        handled.append(envelope.id)

    async with Harness(handle) as h:
        good = Envelope.wrap(build(ScoutSent), source="tests")
        bad_data = Envelope.wrap(build(ScoutSent).model_copy(update={"reason": "explode"}), source="tests")
        await h.publisher.publish_raw(h.topic, b"\xff not json", key=b"k1", headers=[])
        wrong_version = good.to_document() | {"type": "ScoutSent", "data": {"scout_id": 1}}
        await h.publisher.publish_raw(h.topic, Envelope.model_validate(wrong_version).to_bytes(), key=b"k2", headers=[])
        await h.publisher.publish(bad_data)
        future = good.to_document() | {"schemaversion": 99}
        await h.publisher.publish_raw(h.topic, Envelope.model_validate(future).to_bytes(), key=b"k3", headers=[])
        oversized = Envelope.wrap(build(ScoutSent).model_copy(update={"reason": "x" * 300_000}), source="tests")
        await h.publisher.publish(oversized)
        await h.publisher.publish(good)
        await wait_until(lambda: handled == [good.id])
        async with TopicReader(h.dlq) as dlq:
            records = await dlq.wait_for(lambda r: len(r) >= 5)
    letters = {r.value: dict(r.headers)["dlq_reason"].decode() for r in records}
    assert letters[b"\xff not json"].startswith("undecodable")
    wrong = letters[Envelope.model_validate(wrong_version).to_bytes()]
    assert wrong.startswith("undecodable") and "scout_id" in wrong
    assert letters[bad_data.to_bytes()] == "this scout cannot be handled"
    assert letters[Envelope.model_validate(future).to_bytes()].startswith("unsupported schema version 99")
    assert letters[oversized.to_bytes()].startswith("oversized")
    assert {dict(r.headers)["dlq_topic"] for r in records} == {h.topic.encode()}
    assert len(records) == 5
    # counted for /metrics, where the dead-letter alert reads them
    assert REGISTRY.get_sample_value("tsunagu_dead_letters_total", {"group": f"{h.prefix}probe"}) == 5


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_its_attempts():
    attempts: list[str] = []

    async def handle(envelope: Envelope) -> None:
        attempts.append(envelope.id)
        raise RuntimeError("bug in handler")

    async with Harness(handle) as h:
        envelope = Envelope.wrap(build(ScoutSent), source="tests")
        await h.publisher.publish(envelope)
        async with TopicReader(h.dlq) as dlq:
            records = await dlq.wait_for(lambda r: len(r) >= 1)
    assert attempts == [envelope.id, envelope.id]
    assert dict(records[0].headers)["dlq_reason"].decode() == "RuntimeError: bug in handler"


async def test_a_redelivered_event_is_processed_once():
    handled: list[str] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope.id)

    async with Harness(handle) as h:
        first = Envelope.wrap(build(ScoutSent), source="tests")
        second = Envelope.wrap(build(ScoutSent), source="tests")
        await h.publisher.publish(first)
        await h.publisher.publish(first)  # the relay republishing after a crash
        await h.publisher.publish(second)
        await wait_until(lambda: second.id in handled)
        # committed offsets lost (a new Kafka group): every record comes again from the start,
        # but the processed-event store of this component still knows them
        await h.consumer.stop()
        h.consumer = h.new_consumer(kafka_group="probe-offsets-lost")
        await h.consumer.start()
        h.task.cancel()
        h.task = asyncio.create_task(h.consumer.run())
        await h.publisher.publish(first)
        third = Envelope.wrap(build(ScoutSent), source="tests")
        await h.publisher.publish(third)
        await wait_until(lambda: third.id in handled)
    assert handled == [first.id, second.id, third.id]


class StoreFailingOnce(ProcessedEvents):
    """The processed-event store refuses one write with an error no retry rule knows."""

    def __init__(self, db, group, fail_on: str) -> None:
        super().__init__(db, group)
        self.fail_on = fail_on

    async def mark(self, event_id: str) -> None:
        if event_id == self.fail_on:
            self.fail_on = ""
            raise OperationFailure("simulated: write refused")
        await super().mark(event_id)


async def test_a_batch_interrupted_by_an_unexpected_error_is_read_again_and_the_loop_lives_on():
    handled: list[str] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope.id)

    events = [Envelope.wrap(build(ScoutSent), source="tests") for _ in range(3)]
    async with Harness(handle) as h:
        await h.consumer.stop()
        h.task.cancel()
        h.consumer = h.new_consumer(kafka_group="probe-interrupted")
        h.consumer._processed = StoreFailingOnce(h.mongo[f"{h.prefix.strip('.')}_probe"], "probe", events[1].id)
        for envelope in events:  # one key: one partition, one batch, in this order
            await h.publisher.publish(envelope)
        await h.consumer.start()
        h.task = asyncio.create_task(h.consumer.run())
        await wait_until(lambda: events[2].id in handled)
        later = Envelope.wrap(build(ScoutSent), source="tests")
        await h.publisher.publish(later)
        await wait_until(lambda: later.id in handled)
        assert not h.task.done()
    # the interrupted event is handled again (at least once); nothing after it is skipped
    assert handled == [events[0].id, events[1].id, events[1].id, events[2].id, later.id]


def scout_to(candidate: str, n: int) -> Envelope:
    scout = build(ScoutSent).model_copy(update={"candidate_id": candidate, "scout_id": f"{candidate}-{n}"})
    return Envelope.wrap(scout, source="tests")


async def test_records_of_different_keys_are_handled_side_by_side_and_each_key_keeps_its_order():
    handled: list[tuple[str, str]] = []
    in_flight, most = set(), 0

    async def handle(envelope: Envelope) -> None:
        nonlocal most
        event = envelope.event()
        in_flight.add(envelope.id)
        most = max(most, len(in_flight))
        await asyncio.sleep(0.05)
        in_flight.discard(envelope.id)
        handled.append((event.candidate_id, event.scout_id))

    sent = [scout_to(c, n) for n in range(4) for c in ("hana", "yuki", "aiko")]  # interleaved keys
    async with Harness(handle, partitions=1, key_concurrency=4) as h:
        for envelope in sent:
            await h.publisher.publish(envelope)
        await wait_until(lambda: len(handled) == len(sent))
        await asyncio.sleep(0.5)  # nothing handled twice after that
    assert len(handled) == len(sent)
    for candidate in ("hana", "yuki", "aiko"):
        assert [s for c, s in handled if c == candidate] == [f"{candidate}-{n}" for n in range(4)]
    assert most >= 2  # keys did overlap


async def test_an_interrupted_key_is_read_again_from_its_unfinished_record_and_other_keys_are_not_lost():
    handled: list[str] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope.event().scout_id)

    sent = [scout_to(c, n) for n in range(3) for c in ("hana", "yuki")]
    async with Harness(handle, partitions=1, key_concurrency=4) as h:
        await h.consumer.stop()
        h.task.cancel()
        h.consumer = h.new_consumer(kafka_group="probe-lanes-interrupted")
        h.consumer._processed = StoreFailingOnce(h.mongo[f"{h.prefix.strip('.')}_probe"], "probe", sent[2].id)
        for envelope in sent:  # sent[2] is hana-1: its processed mark fails once
            await h.publisher.publish(envelope)
        await h.consumer.start()
        h.task = asyncio.create_task(h.consumer.run())
        await wait_until(lambda: {"hana-2", "yuki-2"} <= set(handled))
        await asyncio.sleep(0.5)
        assert not h.task.done()
    assert [s for s in handled if s.startswith("hana")] == ["hana-0", "hana-1", "hana-1", "hana-2"]  # again, in order
    assert [s for s in handled if s.startswith("yuki")] == ["yuki-0", "yuki-1", "yuki-2"]  # replayed ones skipped


async def test_a_group_that_names_its_event_types_passes_over_the_others_without_a_processed_mark():
    handled: list[str] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope.type)

    async with Harness(handle, partitions=1, types=frozenset({"CompanyBlocked"})) as harness:  # in order
        other = Envelope.wrap(build(ScoutSent), source="tests")
        wanted = Envelope.wrap(build(CompanyBlocked), source="tests")
        await harness.publisher.publish(other)
        await harness.publisher.publish(wanted)
        await wait_until(lambda: handled == ["CompanyBlocked"])
        processed = harness.mongo[f"{harness.prefix.strip('.')}_probe"]
        marks = [d["_id"] async for d in processed["processed_events.probe"].find({})]
        assert wanted.id in str(marks) and other.id not in str(marks)
