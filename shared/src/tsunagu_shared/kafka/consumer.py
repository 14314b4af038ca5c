"""The consumer loop every service uses (docs/architecture.md).

- Offsets are committed only after a record was processed (or dead-lettered).
- Event ids already processed by this group are skipped (redelivery is harmless).
- A record that cannot be decoded, or whose handler keeps failing, is copied with
  its original bytes and the error to the group's dead-letter topic; the consumer
  goes on with the next record.
- A TransientError (or the database/broker being unreachable) is retried with
  backoff, without limit: the partition pauses rather than losing the record.
- The loop never dies quietly: a failed poll or commit is logged and retried, and a
  batch interrupted by an error is read again from its first unfinished record (a
  consumer task that ended while its heartbeat kept it in the group would hold its
  partitions forever).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from prometheus_client import Counter
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

from tsunagu_shared.envelope import Envelope, UnknownEventType
from tsunagu_shared.events import EVENT_TYPES, DomainEvent
from tsunagu_shared.kafka.producer import EventPublisher
from tsunagu_shared.observability.kafka import dead_lettered, expect_dead_letters, processing
from tsunagu_shared.processed import ProcessedEvents

_T = TypeVar("_T")
log = structlog.get_logger(__name__)

CONSUMED = Counter("tsunagu_events_consumed_total", "Records consumed", ["group", "outcome"])

Handler = Callable[[Envelope], Awaitable[None]]


class TransientError(Exception):
    """Worth retrying: a dependency is down or busy."""


class PermanentError(Exception):
    """Retrying will not help: dead-letter the record with this reason."""


_TRANSIENT = (TransientError, ConnectionFailure, ServerSelectionTimeoutError)


@dataclass(frozen=True)
class Refused:
    """Why a record can never be handled: it goes to the dead-letter topic as it came."""

    reason: str
    error_type: str


def screen(record: ConsumerRecord, max_event_bytes: int) -> "tuple[Envelope, DomainEvent] | Refused":
    """The record's envelope and its event, validated against its contract, or why it is refused."""
    size = len(record.value or b"")
    if size > max_event_bytes:
        return Refused(f"oversized: {size} bytes > {max_event_bytes}", "Oversized")
    try:
        envelope = Envelope.from_bytes(record.value)
        known = EVENT_TYPES[envelope.type].schema_version if envelope.type in EVENT_TYPES else None
        if known is not None and envelope.schema_version != known:
            return Refused(f"unsupported schema version {envelope.schema_version} of {envelope.type} "
                           f"(this consumer knows v{known})", "UnsupportedSchemaVersion")
        event = envelope.event()  # validated against its contract before any handler sees it
    except (ValidationError, UnknownEventType, ValueError) as exc:
        return Refused(f"undecodable: {exc}", type(exc).__name__)
    return envelope, event


def dead_letter_headers(record: ConsumerRecord, *, group: str, reason: str, error_type: str) -> list[tuple[str, bytes]]:
    """The record's own headers plus where it came from and why it was refused."""
    return [
        *(record.headers or []),
        ("dlq_reason", reason[:2000].encode()),
        ("dlq_error_type", error_type.encode()),
        ("dlq_group", group.encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
        ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
    ]


class EventConsumer:
    def __init__(
        self,
        *,
        bootstrap: str,
        group: str,
        topics: list[str],
        dlq_topic: str,
        handle: Handler,
        processed: ProcessedEvents,
        publisher: EventPublisher,
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
        max_backoff_seconds: float = 5.0,
        options: dict[str, Any] | None = None,
        max_event_bytes: int = 256 * 1024,
        key_concurrency: int = 1,
        types: frozenset[str] | None = None,
    ) -> None:
        self._max_event_bytes = max_event_bytes
        # Event types the handler acts on (None: all); others are passed over without a database round trip.
        self._types = types
        self._key_concurrency = max(1, key_concurrency)
        self.group = group
        self._topics = topics
        self._dlq_topic = dlq_topic
        self._handle = handle
        self._processed = processed
        self._publisher = publisher
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=600_000,
            **(options or {}),
        )
        self._stopping = asyncio.Event()
        expect_dead_letters(group)

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        self._stopping.set()
        await self._consumer.stop()

    async def run(self) -> None:
        """Consume until stopped."""
        while not self._stopping.is_set():
            try:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=200)
            except KafkaError as exc:
                log.warning("consumer_poll_failed", group=self.group, error=str(exc))
                await asyncio.sleep(self._backoff)
                continue
            for tp, records in batches.items():
                await self._consume_batch(tp, records)

    async def _consume_batch(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        """Process a partition's batch, then commit once up to its first unfinished record: a
        crash before the commit replays records the processed-event store already knows."""
        if self._key_concurrency > 1:
            unfinished = await self._process_by_key(tp, records)
        else:
            unfinished = await self._process_in_order(tp, records)
        if unfinished is not None:
            self._rewind(tp, unfinished)
            await asyncio.sleep(self._backoff)
        done = records[-1].offset + 1 if unfinished is None else unfinished
        if done > records[0].offset:
            await self._commit(tp, done)

    async def _process_in_order(self, tp: TopicPartition, records: list[ConsumerRecord]) -> int | None:
        """Each record after the one before; the offset of the first unfinished one, if any."""
        for record in records:
            try:
                await self._process(record)
            except Exception:
                log.exception("consumer_batch_interrupted", group=self.group, topic=tp.topic, partition=tp.partition)
                offset: int = record.offset
                return offset
        return None

    async def _process_by_key(self, tp: TopicPartition, records: list[ConsumerRecord]) -> int | None:
        """Records of one key in order, up to `key_concurrency` keys at a time (the producers key
        by the entity whose order matters, e.g. the recipient). Records after the first unfinished
        one that were processed anyway are replayed after the rewind and skipped as seen."""
        lanes: dict[bytes | None, list[ConsumerRecord]] = {}
        for record in records:
            lanes.setdefault(record.key, []).append(record)
        gate = asyncio.Semaphore(self._key_concurrency)
        unfinished: list[int] = []

        async def run(lane: list[ConsumerRecord]) -> None:
            async with gate:
                unfinished_here = await self._process_in_order(tp, lane)
                if unfinished_here is not None:
                    unfinished.append(unfinished_here)

        await asyncio.gather(*(run(lane) for lane in lanes.values()))
        return min(unfinished) if unfinished else None

    def _rewind(self, tp: TopicPartition, offset: int) -> None:
        try:
            self._consumer.seek(tp, offset)
        except IllegalStateError:
            pass  # no longer ours: its next owner starts from the last commit

    async def _commit(self, tp: TopicPartition, offset: int) -> None:
        try:
            await self._consumer.commit({tp: offset})
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("consumer_commit_refused", group=self.group, partition=tp.partition, error=str(exc))
        except KafkaError as exc:  # broker away: the records are replayed later and skipped as seen
            log.warning("consumer_commit_failed", group=self.group, partition=tp.partition, error=str(exc))

    async def _process(self, record: ConsumerRecord) -> None:
        screened = screen(record, self._max_event_bytes)
        if isinstance(screened, Refused):
            await self._dead_letter(record, screened.reason, screened.error_type)
            return
        envelope, _ = screened
        if self._types is not None and envelope.type not in self._types:
            CONSUMED.labels(self.group, "passed_over").inc()
            return
        if await self._with_retry(lambda: self._processed.seen(envelope.id)):
            CONSUMED.labels(self.group, "duplicate").inc()
            return
        with processing(envelope, record, self.group):
            await self._handle_until_done(record, envelope)

    async def _handle_until_done(self, record: ConsumerRecord, envelope: Envelope) -> None:
        """Handle the event, retrying as its failure deserves; then mark it processed (or dead-letter it)."""
        attempts = 0
        delay = self._backoff
        while True:
            try:
                await self._handle(envelope)
                break
            except _TRANSIENT as exc:
                log.warning("consumer_transient_error", group=self.group, error=str(exc), event_id=envelope.id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
            except PermanentError as exc:
                await self._dead_letter(record, str(exc), "PermanentError")
                return
            except Exception as exc:  # a bug or bad data: retry a little, then dead-letter
                attempts += 1
                log.exception("consumer_handler_failed", group=self.group, event_id=envelope.id, attempt=attempts)
                if attempts >= self._max_attempts:
                    await self._dead_letter(record, f"{type(exc).__name__}: {exc}", type(exc).__name__)
                    return
                await asyncio.sleep(delay)
        await self._with_retry(lambda: self._processed.mark(envelope.id))
        CONSUMED.labels(self.group, "processed").inc()

    async def _with_retry(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        delay = self._backoff
        while True:
            try:
                return await operation()
            except _TRANSIENT as exc:
                log.warning("consumer_store_unavailable", group=self.group, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_backoff)

    async def _dead_letter(self, record: ConsumerRecord, reason: str, error_type: str) -> None:
        headers = dead_letter_headers(record, group=self.group, reason=reason, error_type=error_type)
        await self._publisher.publish_raw(self._dlq_topic, record.value or b"", key=record.key, headers=headers)
        CONSUMED.labels(self.group, "dead_lettered").inc()
        dead_lettered(self.group)
        log.error("consumer_dead_lettered", group=self.group, topic=record.topic, offset=record.offset, reason=reason)

    def assignment(self) -> set[TopicPartition]:
        assigned: set[TopicPartition] = self._consumer.assignment()
        return assigned
