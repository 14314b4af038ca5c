"""What notify's stream processors share on the Kafka side: one transactional producer per owned
partition (its `transactional.id` fences the partition's previous owner), reading a compacted
changelog partition back, and reading records again after a batch that did not commit."""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import EVENT_TYPES
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import dlq_name, topic_name

# A transaction that adds a partition right after the previous one committed is refused with
# CONCURRENT_TRANSACTIONS until the broker has written the commit markers (milliseconds); the
# producer retries after this backoff (aiokafka's default 100 ms would be added to most batches).
_TXN_RETRY_BACKOFF_MS = 10


def subscribe(consumer: AIOKafkaConsumer, topics: list[str], *, assigned: Callable[[set[int]], Awaitable[None]],
              revoked: Callable[[set[int]], Awaitable[None]]) -> None:
    """Subscribe, calling back with the partition numbers gained and lost at each rebalance."""

    class Listener(ConsumerRebalanceListener):
        async def on_partitions_revoked(self, partitions):
            await revoked({tp.partition for tp in partitions})

        async def on_partitions_assigned(self, partitions):
            await assigned({tp.partition for tp in partitions})

    consumer.subscribe(topics, listener=Listener())


def rewind(consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
    """Read these records again (their batch did not commit)."""
    for tp, offset in offsets.items():
        try:
            consumer.seek(tp, offset)
        except Exception:  # no longer ours: the next owner starts from the last commit
            pass


class PartitionProducers:
    """The transactional producer of each partition this member owns, `transactional.id = <group>-<p>`."""

    def __init__(self, group: str, bootstrap: str, options: dict[str, Any]) -> None:
        self._group, self._bootstrap, self._options = group, bootstrap, options
        self._producers: dict[int, AIOKafkaProducer] = {}

    def __getitem__(self, partition: int) -> AIOKafkaProducer:
        return self._producers[partition]

    async def own(self, partition: int) -> None:
        """Become the only writer of this partition: Kafka aborts the previous owner's open
        transaction and refuses it every later commit."""
        await self.release({partition})
        producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, transactional_id=f"{self._group}-{partition}",
                                    enable_idempotence=True, acks="all", linger_ms=5, request_timeout_ms=15_000,
                                    max_batch_size=1024 * 1024, retry_backoff_ms=_TXN_RETRY_BACKOFF_MS,
                                    **self._options)
        await producer.start()
        self._producers[partition] = producer

    async def release(self, partitions: Iterable[int]) -> None:
        for partition in list(partitions):
            producer = self._producers.pop(partition, None)
            if producer is not None:
                await asyncio.gather(producer.stop(), return_exceptions=True)

    async def release_all(self) -> None:
        await self.release(set(self._producers))


async def read_changelog(bootstrap: str, options: dict[str, Any], topic: str,
                         partition: int) -> dict[bytes, ConsumerRecord]:
    """The newest committed record of each key of one changelog partition (tombstones removed)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed",
                              enable_auto_commit=False, **options)
    await reader.start()
    newest: dict[bytes, ConsumerRecord] = {}
    try:
        tp = TopicPartition(topic, partition)
        reader.assign([tp])
        await reader.seek_to_beginning(tp)
        end = (await reader.end_offsets([tp]))[tp]
        while await reader.position(tp) < end:
            for record in (await reader.getmany(tp, timeout_ms=500, max_records=5000)).get(tp, []):
                if record.value is None:
                    newest.pop(record.key, None)
                else:
                    newest[record.key] = record
    finally:
        await reader.stop()
    return newest


class OwnedPartitionsStream:
    """A consumer group (read_committed, offsets committed in transactions) whose members own the
    partitions they are assigned, each written by its own transactional producer."""

    def __init__(self, settings: ServiceSettings, group: str, **consumer_options: Any) -> None:
        prefix = settings.topic_prefix
        self.group = f"{prefix}{group}"
        self.dead_letters = dlq_name(group, prefix)
        self._prefix = prefix
        self._options = settings.kafka_client_options()
        self._bootstrap = settings.kafka_bootstrap
        self._producers = PartitionProducers(self.group, self._bootstrap, self._options)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=self.group, isolation_level="read_committed",
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_interval_ms=600_000,
            **consumer_options, **self._options)

    def subscribe(self, topics: list[str], *, assigned: Callable[[set[int]], Awaitable[None]],
                  revoked: Callable[[set[int]], Awaitable[None]]) -> None:
        subscribe(self.consumer, topics, assigned=assigned, revoked=revoked)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self._producers.release_all()

    async def own(self, partition: int) -> None:
        """Become the only writer of this partition: fence whoever wrote it before."""
        await self._producers.own(partition)

    async def release(self, partitions: Iterable[int]) -> None:
        await self._producers.release(partitions)

    def holds(self, partition: int) -> bool:
        """Whether the group still assigns this partition to this member. A producer fenced while it
        does was fenced by the broker (a transaction it timed out across a restart), not by a new
        owner: assignments change only in a rebalance, which takes the partition from us first."""
        return any(tp.partition == partition for tp in self.consumer.assignment())

    async def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        return await self.consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)

    def rewind(self, offsets: dict[TopicPartition, int]) -> None:
        """Read these records again (their batch did not commit)."""
        rewind(self.consumer, offsets)

    async def changelog(self, topic: str, partition: int) -> dict[bytes, ConsumerRecord]:
        return await read_changelog(self._bootstrap, self._options, topic, partition)

    async def send_events_and_offsets(self, producer: AIOKafkaProducer, events: list[Envelope],
                                      dead_letters: list[tuple[ConsumerRecord, list]],
                                      offsets: dict[TopicPartition, int]) -> None:
        """The part every transaction ends with: public events to their topics, dead letters, offsets."""
        for envelope in events:
            topic = topic_name(EVENT_TYPES[envelope.type].topic, self._prefix)
            await producer.send(topic, envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.headers())
        for record, headers in dead_letters:
            await producer.send(self.dead_letters, record.value or b"", key=record.key, headers=headers)
        if offsets:
            await producer.send_offsets_to_transaction(offsets, self.group)
