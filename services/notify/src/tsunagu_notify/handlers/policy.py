"""The policy processor: notify.intents and notify.recipient-changes in, one transaction per batch out.

Her state lives in the memory of the worker that owns her partition (restored from the
changelog when the partition is assigned). Each batch is decided record by record on
staged copies, deferrals that fell due are decided with it, and the whole batch (changelog,
effects, events, requests, offsets) is committed in one Kafka transaction; the staged states
become the worker's only when that commit succeeded. A batch that failed is read again.

Committing is pipelined: while a partition's batch commits (several round trips to the
broker), the next records are decided on top of that batch's staged states. If the commit
fails, the batch decided on top of it is dropped too and both are read again.
"""

import asyncio
import heapq
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import InvalidProducerEpoch, KafkaError, ProducerFenced
from prometheus_client import Counter
from pydantic import ValidationError
from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationCancelled, NotificationRequested
from tsunagu_shared.kafka.consumer import CONSUMED, Refused, dead_letter_headers, screen
from tsunagu_shared.observability.kafka import dead_lettered, expect_dead_letters

from tsunagu_notify.adapters.metrics import decided, deciding
from tsunagu_notify.adapters.recipient_stream import Batch, RecipientStream
from tsunagu_notify.domain.intents import intent_from
from tsunagu_notify.domain.model import changed
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.recipient import (
    Outcome,
    OwnedRecipient,
    RecipientChange,
    StateChanged,
    apply_change,
    cancel,
    decide_intent,
)

log = structlog.get_logger(__name__)

DECISIONS = Counter("tsunagu_notify_decisions_total", "Policy decisions committed", ["action", "reason"])


class OwnedPartition:
    """The people of one partition and their deferrals in due order."""

    def __init__(self, people: dict[str, OwnedRecipient]) -> None:
        self.people = people
        # the states of the batch being committed: what the next batch is decided on
        self.committing: dict[str, OwnedRecipient] = {}
        self._timers: list[tuple[datetime, str, str]] = []
        for person in people.values():
            self.track(person)

    def get(self, recipient_id: str) -> OwnedRecipient:
        return (self.committing.get(recipient_id) or self.people.get(recipient_id)
                or OwnedRecipient.new(recipient_id))

    def track(self, person: OwnedRecipient, before: OwnedRecipient | None = None) -> None:
        """Time her deferrals that are new or moved since `before`."""
        known = before.deferrals if before is not None else {}
        for intent_id, deferral in person.deferrals.items():
            earlier = known.get(intent_id)
            if earlier != deferral:
                heapq.heappush(self._timers, (deferral.due_at, person.recipient_id, intent_id))

    def due(self, now: datetime) -> list[tuple[str, str]]:
        """(recipient, intent) of deferrals due now, once each; entries of decided ones are dropped."""
        found: dict[tuple[str, str], None] = {}
        while self._timers and self._timers[0][0] <= now:
            due_at, recipient_id, intent_id = heapq.heappop(self._timers)
            deferral = self.get(recipient_id).deferrals.get(intent_id)
            if deferral is not None and deferral.due_at == due_at:
                found[(recipient_id, intent_id)] = None
        return list(found)

    def next_due(self) -> datetime | None:
        return self._timers[0][0] if self._timers else None


@dataclass
class OpenBatch:
    """What a partition decided since its last commit: committed together, or read again."""

    batch: Batch
    staged: dict[str, OwnedRecipient] = field(default_factory=dict)
    first: dict[TopicPartition, int] = field(default_factory=dict)
    records: int = 0
    opened: float = field(default_factory=lambda: asyncio.get_running_loop().time())


class PolicyProcessor:
    """Records are decided as they arrive; each partition's decisions are committed every
    `commit_ms` (or sooner once `max_batch` records wait), as Kafka Streams commits under
    exactly-once: a transaction costs several round trips, whatever it holds."""

    def __init__(self, *, stream: RecipientStream, clock: Clock, config: PolicyConfig, max_event_bytes: int,
                 max_records: int = 2000, poll_ms: int = 100, commit_ms: int = 100, max_batch: int = 10000) -> None:
        self.stream, self.clock, self.config = stream, clock, config
        self._max_event_bytes = max_event_bytes
        self._max_records, self._poll_ms = max_records, poll_ms
        self._commit_seconds, self._max_batch = commit_ms / 1000, max_batch
        self._owned: dict[int, OwnedPartition] = {}
        self._open: dict[int, OpenBatch] = {}
        # each partition's batch under commit, and the task committing it (one at a time per partition:
        # its producer has one transaction at a time)
        self._committing: dict[int, tuple[OpenBatch, asyncio.Task]] = {}
        # where a failed commit moved each partition's position back to, since the last poll
        self._dropped: dict[int, dict[TopicPartition, int]] = {}
        self._restoring: set[int] = set()  # assigned, but not restored yet (the broker was away)
        self._turn = asyncio.Lock()  # a rebalance waits for the batch under way
        self._stopping = asyncio.Event()
        self.started = asyncio.Event()
        expect_dead_letters(stream.group)

    # --- lifecycle ---
    async def start(self) -> None:
        self.stream.listen(assigned=self._assigned, revoked=self._revoked)
        await self.stream.start()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        """Commit what was decided, then leave the group."""
        self._stopping.set()
        async with self._turn:
            await self._commit_now(set(self._owned) | set(self._open) | set(self._committing))
        # outside the turn: leaving the group calls _revoked, which takes the turn itself
        await self.stream.stop()

    async def _assigned(self, partitions: set[int]) -> None:
        async with self._turn:
            for partition in sorted(partitions - set(self._owned)):
                await self._restore(partition)
            log.info("policy_partitions_owned", partitions=sorted(self._owned), restoring=sorted(self._restoring))
            self.started.set()

    async def _revoked(self, partitions: set[int]) -> None:
        async with self._turn:
            # what was decided still commits (this worker is still their only writer until it returns)
            await self._commit_now(partitions)
            for partition in partitions:
                self._owned.pop(partition, None)
                self._open.pop(partition, None)
                self._restoring.discard(partition)
            await self.stream.release(partitions)

    # --- the loop ---
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last_commit = loop.time()
        while not self._stopping.is_set():
            wait = max(0.0, min(self._poll_ms / 1000, last_commit + self._commit_seconds - loop.time()))
            self._dropped.clear()
            try:
                polled = await self.stream.poll(int(wait * 1000), self._max_records)
            except KafkaError as exc:
                log.warning("policy_poll_failed", error=str(exc))
                await asyncio.sleep(0.5)
                continue
            async with self._turn:
                for partition in sorted(self._restoring):
                    await self._restore(partition)
                by_partition: dict[int, list[tuple[TopicPartition, list[ConsumerRecord]]]] = {}
                for tp, records in polled.items():
                    if tp.partition in self._dropped:
                        # a commit failed while polling or since: read again from the earlier of its
                        # first record and these (polled before or after it moved the position back)
                        back = self._dropped[tp.partition].get(tp, records[0].offset)
                        self.stream.rewind({tp: min(back, records[0].offset)})
                    elif tp.partition in self._owned:
                        by_partition.setdefault(tp.partition, []).append((tp, records))
                    else:  # not restored yet: read again once it is
                        self.stream.rewind({tp: records[0].offset})
                now = self.clock.now()
                for partition in list(self._owned):
                    self._decide_partition(partition, by_partition.get(partition, []), now)
                full = {p for p, o in self._open.items() if o.records >= self._max_batch}
                if full or loop.time() >= last_commit + self._commit_seconds:
                    # a full batch whose predecessor still commits waits for it (the batch stays bounded)
                    await self._settled(full)
                    self._start_commits()
                    last_commit = loop.time()

    def _decide_partition(self, partition: int, polled: list[tuple[TopicPartition, list[ConsumerRecord]]],
                          now: datetime) -> None:
        """Decide a partition's records and due deferrals on staged copies of her state."""
        owned = self._owned[partition]
        due = owned.due(now)
        if not polled and not due:
            return
        work = self._open.setdefault(partition, OpenBatch(Batch(partition=partition)))
        batch, staged = work.batch, work.staged
        # changes first: a state change requested before this batch is read applies to its intents
        for tp, records in sorted(polled, key=lambda item: not self.stream.is_change(item[1][0])):
            work.first.setdefault(tp, records[0].offset)
            for record in records:
                try:
                    self._handle_record(record, owned, staged, batch, now)
                except Exception as exc:  # deciding is deterministic: trying again would fail the same way
                    log.exception("policy_record_failed", topic=record.topic, offset=record.offset)
                    self._dead_letter(batch, record, Refused(f"{type(exc).__name__}: {exc}", type(exc).__name__))
            batch.offsets[tp] = records[-1].offset + 1
            work.records += len(records)
        for recipient_id, intent_id in due:
            person = staged.get(recipient_id) or owned.get(recipient_id)
            deferral = person.deferrals.get(intent_id)
            # deciding it in this batch may have deferred it again, to later
            if deferral is not None and deferral.due_at <= now:
                self._collect(decide_intent(person, deferral.intent, now, self.config), staged, batch, None)

    def _start_commits(self, partitions: set[int] | None = None) -> None:
        """Start committing each open batch whose partition has no commit under way; the loop goes on
        deciding meanwhile. The transactions of different partitions run side by side (one producer each)."""
        for partition in sorted(self._open if partitions is None else partitions & set(self._open)):
            if partition in self._committing or partition not in self._owned:
                continue
            work = self._open.pop(partition)
            self._owned[partition].committing = work.staged
            task = asyncio.create_task(self._commit(partition, work), name=f"policy-commit-{partition}")
            self._committing[partition] = (work, task)

    async def _settled(self, partitions: set[int]) -> None:
        """Wait until these partitions have no commit under way."""
        tasks = [self._committing[p][1] for p in partitions if p in self._committing]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _commit_now(self, partitions: set[int]) -> None:
        """Commit everything these partitions decided (under way and open), before returning."""
        await self._settled(partitions)
        works = [(p, self._open.pop(p)) for p in sorted(partitions) if p in self._open]
        await asyncio.gather(*(self._commit(p, work) for p, work in works))

    async def _commit(self, partition: int, work: OpenBatch) -> None:
        """All of the batch or nothing; her staged state becomes the owner's only once it is committed."""
        try:
            await self._commit_batch(partition, work)
        finally:
            if self._committing.get(partition, (None,))[0] is work:
                del self._committing[partition]
            owned = self._owned.get(partition)
            if owned is not None and owned.committing is work.staged:
                owned.committing = {}
        # the batch that waited for this one goes at once if its time came meanwhile (not during a
        # rebalance or a close: they commit what is open themselves, holding the turn)
        waiting = self._open.get(partition)
        if (waiting is not None and not self._turn.locked() and partition in self._owned
                and asyncio.get_running_loop().time() >= waiting.opened + self._commit_seconds):
            self._start_commits({partition})

    async def _commit_batch(self, partition: int, work: OpenBatch) -> None:
        owned, batch = self._owned.get(partition), work.batch
        if owned is None:
            return
        for recipient_id, person in work.staged.items():
            before = owned.people.get(recipient_id)
            if before is None or before.state != person.state:
                batch.effects.append(StateChanged(state=person.state))
        batch.states = work.staged
        try:
            await self.stream.commit(batch)
        except (ProducerFenced, InvalidProducerEpoch):
            # another worker owns this partition now, and the rebalance takes it from us; or, while
            # the group still gives it to us, the broker ended the transaction: own it again
            log.warning("policy_partition_fenced", partition=partition)
            self._drop(partition, work)
            await self.stream.release({partition})
            if self.stream.holds(partition):
                self._restoring.add(partition)
            return
        except Exception as exc:  # the broker away, a timeout: nothing of it happened
            # read it again with a fresh producer and the state as last committed
            log.warning("policy_batch_not_committed", partition=partition, error=repr(exc))
            self._drop(partition, work)
            await asyncio.sleep(0.5)
            if partition not in self._owned:  # a rebalance in between may have restored it already
                self._restoring.add(partition)
            return
        for person in batch.states.values():
            before = owned.people.get(person.recipient_id)
            owned.people[person.recipient_id] = person
            owned.track(person, before)
        for effect in batch.effects:
            if effect.kind == "decision":
                DECISIONS.labels(effect.decision.action.value, effect.decision.reason.value).inc()
        CONSUMED.labels(self.stream.group, "processed").inc(work.records)

    def _drop(self, partition: int, failed: OpenBatch) -> None:
        """Forget what the partition decided since its last commit (the failed batch and the one
        decided on top of it) and read it all again from the failed batch's first records."""
        later = self._open.pop(partition, None)
        first = dict(failed.first)
        for tp, offset in (later.first.items() if later is not None else ()):
            first.setdefault(tp, offset)
        self.stream.rewind(first)
        self._owned.pop(partition, None)
        self._dropped[partition] = first

    async def _restore(self, partition: int) -> bool:
        """Own the partition (fencing its previous writer) and load its people; False on failure."""
        try:
            await self.stream.own(partition)
            self._owned[partition] = OwnedPartition(await self.stream.restore(partition))
            self._restoring.discard(partition)
            return True
        except KafkaError as exc:
            log.warning("policy_partition_restore_failed", partition=partition, error=str(exc))
            await self.stream.release({partition})
            self._restoring.add(partition)
            return False

    def _handle_record(self, record: ConsumerRecord, owned: OwnedPartition, staged: dict[str, OwnedRecipient],
                       batch: Batch, now: datetime) -> None:
        if self.stream.is_change(record):
            try:
                change = RecipientChange.model_validate_json(record.value or b"")
            except ValidationError as exc:
                self._dead_letter(batch, record, Refused(f"undecodable: {exc}", "ValidationError"))
                return
            person = staged.get(change.recipient_id) or owned.get(change.recipient_id)
            self._collect(apply_change(person, change, now), staged, batch, None)
            return
        screened = screen(record, self._max_event_bytes)
        if isinstance(screened, Refused):
            self._dead_letter(batch, record, screened)
            return
        envelope, event = screened
        if isinstance(event, NotificationRequested):
            person = staged.get(event.recipient_id) or owned.get(event.recipient_id)
            with deciding(envelope, event.intent_id) as span:
                self._collect(decided(span, decide_intent(person, intent_from(event), now, self.config)),
                              staged, batch, envelope)
        elif isinstance(event, NotificationCancelled):
            person = staged.get(event.recipient_id) or owned.get(event.recipient_id)
            self._collect(cancel(person, event.intent_ids, event.reason, now, self.config), staged, batch, envelope)

    def _collect(self, outcome: Outcome | None, staged: dict[str, OwnedRecipient], batch: Batch,
                 cause: Envelope | None) -> None:
        if outcome is None:
            return
        staged[outcome.owned.recipient_id] = outcome.owned
        if cause is None:
            batch.effects.extend(outcome.effects)
        else:
            batch.effects.extend(_traced(effect, cause) for effect in outcome.effects)
        for event in (*outcome.events, *outcome.requests):
            batch.publish(event, cause)

    def _dead_letter(self, batch: Batch, record: ConsumerRecord, refused: Refused) -> None:
        headers = dead_letter_headers(record, group=self.stream.group, reason=refused.reason,
                                      error_type=refused.error_type)
        batch.dead_letters.append((record, headers))
        CONSUMED.labels(self.stream.group, "dead_lettered").inc()
        dead_lettered(self.stream.group)
        log.error("consumer_dead_lettered", group=self.stream.group, topic=record.topic, offset=record.offset,
                  reason=refused.reason)

    # --- for the views and tests ---
    def next_due(self) -> datetime | None:
        """The earliest deferral any owned partition is waiting for."""
        dues = [d for p in self._owned.values() if (d := p.next_due()) is not None]
        return min(dues, default=None)


def _traced(effect, cause: Envelope):
    """A delivery request continues its intent's correlation (and its trace, when the envelope has one)."""
    if effect.kind != "delivery":
        return effect
    # the decision's span (set when it was decided) or else the intent's own trace
    # `changed`: the shallow copy model_copy makes, without its generic bookkeeping (once per send)
    return changed(effect, correlation_id=cause.correlation_id, causation_id=cause.id,
                   traceparent=effect.traceparent or getattr(cause, "traceparent", None))
