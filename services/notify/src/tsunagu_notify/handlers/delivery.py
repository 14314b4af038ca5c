"""Channel workers: delivery requests from the policy stage in, provider calls, outcomes out.

Each owned partition of notify.delivery-requests is read in order. A request is rendered and
sent (at most `senders` calls at a time per provider) with the same idempotency key on every
attempt; a cancellation stops the requests of hers that have not started and the retries she is
waiting for. A partition's finished work (its leading finished records, and any retries) is
committed every `commit_ms` in one Kafka transaction with the consumed offsets; the outcomes
become the views' `deliveries`, a refusal that opts her out goes to her partition as a change.
A failed attempt waits in the partition's state (changelog notify.delivery-retries) and is tried
again when due: no database queue.

Exactly once as far as a provider allows: a commit that fails is tried again with what was
already sent (never sent again); a provider message accepted in this process and not yet
committed is remembered by key, so a request read again here is not sent again. A worker killed
between the provider's accept and the commit sends it again after the restart with the same key:
LINE answers 409 (X-Line-Retry-Key), recorded as sent; SMTP and Twilio take no key (the same
Message-ID tells mailboxes it is a copy).
"""

import asyncio
import heapq
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import InvalidProducerEpoch, KafkaError, ProducerFenced
from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import DomainEvent, NotificationFailed, NotificationSent, NotificationSuppressed
from tsunagu_shared.kafka.consumer import CONSUMED, PermanentError, TransientError, dead_letter_headers

from tsunagu_notify.adapters.channels.base import Channel, OutboundMessage, ProviderRejected, RetryLater
from tsunagu_notify.adapters.delivery_stream import DeliveryBatch, DeliveryStream
from tsunagu_notify.adapters.metrics import delivering, delivery_outcome, provider_call
from tsunagu_notify.adapters.unsubscribe import UnsubscribeTokens
from tsunagu_notify.domain.delivery import (
    DeliveryOutcome,
    OutcomeStatus,
    WaitingDelivery,
    cancelled_by,
    message_variables,
    opt_out_source,
    retry_wait,
    waiting,
)
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.recipient import DeliveriesCancelled, DeliveryRequested, Erased, RecipientChange
from tsunagu_notify.domain.templates import Sender, TemplateRefused, UnknownTemplate, render

log = structlog.get_logger(__name__)
SOURCE = "tsunagu/notify"
# Keys accepted by a provider in this process, kept to never send one again before its outcome is committed.
_SENT_KEPT = 100_000


@dataclass
class Attempted:
    """How one delivery's attempt (or its cancellation) ended: committed with the partition."""

    outcome: DeliveryOutcome
    event: Envelope | None = None
    change: RecipientChange | None = None
    retry: WaitingDelivery | None = None  # its next attempt
    was_waiting: bool = False  # it was in the changelog: its entry is replaced or removed


@dataclass
class Read:
    """One consumed record of a partition: its offsets commit once it (and all before it) finished."""

    tp: TopicPartition
    next_offset: int
    task: asyncio.Task | None = None
    results: list[Attempted] = field(default_factory=list)
    dead_letter: tuple[ConsumerRecord, list] | None = None

    @property
    def finished(self) -> bool:
        return self.task is None or self.task.done()


class OwnedDeliveries:
    """One partition's deliveries: records read in order, retries waiting, attempts under way."""

    def __init__(self, partition: int, waiting: dict[str, WaitingDelivery]) -> None:
        self.partition = partition
        self.waiting = waiting
        self._timers: list[tuple[datetime, str]] = [(w.due_at, key) for key, w in waiting.items()]
        heapq.heapify(self._timers)
        self.reads: deque[Read] = deque()
        self.done: list[Attempted] = []  # retries and cancellations of waiting ones (no offsets of their own)
        self.open: dict[str, DeliveryRequested] = {}  # requests read and not finished yet
        self.stopped: set[str] = set()  # keys of open requests a cancellation stopped
        self.busy: set[str] = set()  # keys being attempted now
        self.tasks: set[asyncio.Task] = set()

    def wait(self, retry: WaitingDelivery) -> None:
        self.waiting[retry.request.key] = retry
        heapq.heappush(self._timers, (retry.due_at, retry.request.key))

    def due(self, now: datetime) -> list[WaitingDelivery]:
        found = []
        while self._timers and self._timers[0][0] <= now:
            due_at, key = heapq.heappop(self._timers)
            retry = self.waiting.get(key)
            if retry is not None and retry.due_at == due_at and key not in self.busy:
                found.append(retry)
        return found

    @property
    def in_flight(self) -> int:
        return len(self.reads) + len(self.tasks)


PLATFORM = Sender()


class DeliveryWorker:
    def __init__(self, *, stream: DeliveryStream, channels: dict[str, Channel], clock: Clock, config: PolicyConfig,
                 tokens: UnsubscribeTokens, public_base_url: str, senders: int = 8, commit_ms: int = 100,
                 poll_ms: int = 100, max_records: int = 500, max_in_flight: int = 2000,
                 sender: Sender = PLATFORM) -> None:
        self.stream, self.channels, self.clock, self.config = stream, channels, clock, config
        self.tokens, self.public_base_url, self.sender = tokens, public_base_url, sender
        self._slots = {name: asyncio.Semaphore(max(1, senders)) for name in channels}
        self._commit_seconds, self._poll_ms = commit_ms / 1000, poll_ms
        self._max_records, self._max_in_flight = max_records, max_in_flight
        self._owned: dict[int, OwnedDeliveries] = {}
        self._restoring: set[int] = set()
        self._accepted: OrderedDict[str, Attempted] = OrderedDict()
        self._turn = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.started = asyncio.Event()

    # --- lifecycle ---
    async def start(self) -> None:
        self.stream.listen(assigned=self._assigned, revoked=self._revoked)
        await self.stream.start()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        """Finish and commit what is under way, then leave the group."""
        self._stopping.set()
        async with self._turn:
            await self._finish(set(self._owned))
        await self.stream.stop()

    async def _assigned(self, partitions: set[int]) -> None:
        async with self._turn:
            for partition in sorted(partitions - set(self._owned)):
                await self._restore(partition)
            log.info("delivery_partitions_owned", partitions=sorted(self._owned), restoring=sorted(self._restoring))
            self.started.set()

    async def _revoked(self, partitions: set[int]) -> None:
        async with self._turn:
            # this worker stays their only writer until it returns: what it sent is committed first
            await self._finish(partitions & set(self._owned))
            for partition in partitions:
                self._drop(partition)
            await self.stream.release(partitions)

    async def _finish(self, partitions: set[int], *, timeout: float = 60.0) -> None:
        tasks = [t for p in partitions for t in (*self._owned[p].tasks,
                                                 *(r.task for r in self._owned[p].reads if r.task))]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        await asyncio.gather(*(self._commit(self._owned[p]) for p in sorted(partitions) if p in self._owned))

    def _drop(self, partition: int) -> None:
        """Forget a partition. Its attempts under way are left to finish: a provider call cut short may
        still deliver, and what they send is remembered by key should the partition come back."""
        self._owned.pop(partition, None)
        self._restoring.discard(partition)

    async def _restore(self, partition: int) -> None:
        try:
            await self.stream.own(partition)
            self._owned[partition] = OwnedDeliveries(partition, await self.stream.restore(partition))
            self._restoring.discard(partition)
        except KafkaError as exc:
            log.warning("delivery_partition_restore_failed", partition=partition, error=str(exc))
            await self.stream.release({partition})
            self._restoring.add(partition)

    # --- the loop ---
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last_commit = loop.time()
        while not self._stopping.is_set():
            wait = max(0.0, min(self._poll_ms / 1000, last_commit + self._commit_seconds - loop.time()))
            polled: dict[TopicPartition, list[ConsumerRecord]] = {}
            if sum(o.in_flight for o in self._owned.values()) < self._max_in_flight:
                try:
                    polled = await self.stream.poll(int(wait * 1000), self._max_records)
                except KafkaError as exc:
                    log.warning("delivery_poll_failed", error=str(exc))
                    await asyncio.sleep(0.5)
            else:
                await asyncio.sleep(wait)
            async with self._turn:
                for partition in sorted(self._restoring):
                    await self._restore(partition)
                for tp, records in polled.items():
                    owned = self._owned.get(tp.partition)
                    if owned is None:  # not restored yet: read again once it is
                        self.stream.rewind({tp: records[0].offset})
                        continue
                    for record in records:
                        self._read(owned, tp, record)
                now = self.clock.now()
                for owned in self._owned.values():
                    for retry in owned.due(now):
                        self._start_retry(owned, retry)
                if loop.time() >= last_commit + self._commit_seconds:
                    await asyncio.gather(*(self._commit(o) for o in list(self._owned.values())))
                    last_commit = loop.time()

    def _read(self, owned: OwnedDeliveries, tp: TopicPartition, record: ConsumerRecord) -> None:
        read = Read(tp, record.offset + 1)
        owned.reads.append(read)
        try:
            item = self.stream.decode(record)
        except ValueError as exc:
            headers = dead_letter_headers(record, group=self.stream.group, reason=f"undecodable: {exc}",
                                          error_type=type(exc).__name__)
            read.dead_letter = (record, headers)
            log.error("consumer_dead_lettered", group=self.stream.group, topic=record.topic, offset=record.offset)
            return
        if isinstance(item, DeliveryRequested):
            if item.key in owned.open or item.key in owned.waiting:
                return  # under way already (a request read twice)
            owned.open[item.key] = item
            read.task = asyncio.create_task(self._attempt(owned, item, 1, was_waiting=False))
        else:
            read.results.extend(self._cancel(owned, item))

    def _start_retry(self, owned: OwnedDeliveries, retry: WaitingDelivery) -> None:
        owned.busy.add(retry.request.key)
        owned.open[retry.request.key] = retry.request  # a cancellation read meanwhile stops its next attempt
        task = asyncio.create_task(self._attempt(owned, retry.request, retry.attempts + 1, was_waiting=True))
        owned.tasks.add(task)

        def finished(done: asyncio.Task) -> None:
            owned.tasks.discard(done)
            owned.busy.discard(retry.request.key)
            if not done.cancelled() and done.exception() is None:
                owned.done.append(done.result())
        task.add_done_callback(finished)

    def _cancel(self, owned: OwnedDeliveries, cancellation: DeliveriesCancelled | Erased) -> list[Attempted]:
        """Her requests not started yet are stopped; her waiting retries end now, as cancelled."""
        for key, request in owned.open.items():
            if cancelled_by(cancellation, request):
                owned.stopped.add(key)
        ended = []
        reason = cancellation.reason if cancellation.kind == "deliveries_cancelled" else "erased"
        for key, retry in list(owned.waiting.items()):
            if key not in owned.busy and cancelled_by(cancellation, retry.request):
                del owned.waiting[key]
                ended.append(Attempted(self._outcome(retry.request, "cancelled", retry.attempts, error=reason),
                                       was_waiting=True))
        return ended

    # --- one attempt ---
    async def _attempt(self, owned: OwnedDeliveries, request: DeliveryRequested, attempts: int, *,
                       was_waiting: bool) -> Attempted:
        try:
            result = await self._attempted(owned, request, attempts, was_waiting)
        except Exception as exc:  # a bug: try again later rather than lose the delivery
            log.exception("delivery_attempt_failed", key=request.key)
            result = self._failed_for_now(request, attempts, was_waiting, exc, None)
        if result.retry is not None and request.key in owned.stopped:
            result = Attempted(self._outcome(request, "cancelled", attempts, error="cancelled"),
                               was_waiting=was_waiting)
        if was_waiting:
            owned.waiting.pop(request.key, None)
        if result.retry is None:
            owned.open.pop(request.key, None)
            owned.stopped.discard(request.key)
        # else it stays open (a cancellation can still stop it) until its retry is committed
        return result

    async def _attempted(self, owned: OwnedDeliveries, request: DeliveryRequested, attempts: int,
                         was_waiting: bool) -> Attempted:
        key = request.key
        accepted = self._accepted.get(key)
        if accepted is not None:  # the provider has it; its outcome was not committed yet
            return Attempted(accepted.outcome, accepted.event, was_waiting=was_waiting)
        if not request.address:  # erased, or no address left by the time it was decided
            return self._suppressed(request, attempts, was_waiting)
        async with self._slots[request.channel]:
            if key in owned.stopped:
                return Attempted(self._outcome(request, "cancelled", attempts - 1, error="cancelled"),
                                 was_waiting=was_waiting)
            try:
                with delivering(request, attempts), provider_call(request.channel):
                    receipt = await self.channels[request.channel].send(self._message(request))
            except (TemplateRefused, UnknownTemplate) as exc:
                return self._failed(request, attempts, was_waiting, f"{type(exc).__name__}: {exc}", None)
            except ProviderRejected as exc:
                return self._failed(request, attempts, was_waiting, str(exc), exc.code)
            except PermanentError as exc:
                return self._failed(request, attempts, was_waiting, f"{type(exc).__name__}: {exc}", None)
            except (RetryLater, TransientError) as exc:
                return self._failed_for_now(request, attempts, was_waiting, exc, getattr(exc, "code", None))
        now = self.clock.now()
        outcome = self._outcome(request, "sent", attempts, provider_message_id=receipt.provider_message_id,
                                already_accepted=receipt.already_accepted)
        event = NotificationSent(intent_id=request.intent_id, recipient_id=request.recipient_id,
                                 channel=request.channel, provider_message_id=receipt.provider_message_id, sent_at=now)
        result = Attempted(outcome, _wrap(request, event), was_waiting=was_waiting)
        self._accepted[key] = result
        while len(self._accepted) > _SENT_KEPT:
            self._accepted.popitem(last=False)
        return result

    def _failed_for_now(self, request: DeliveryRequested, attempts: int, was_waiting: bool, exc: Exception,
                        code: str | None) -> Attempted:
        wait = retry_wait(attempts, self.config, getattr(exc, "retry_after", None))
        if wait is None:
            return self._failed(request, attempts, was_waiting, f"gave up after {attempts} attempts: {exc}", code,
                                permanent=False)
        retry = waiting(request, attempts, self.clock.now(), wait, str(exc)[:500])
        log.info("delivery_retry_scheduled", key=request.key, wait=wait, error=str(exc))
        return Attempted(self._outcome(request, "retrying", attempts, provider_code=code, error=str(exc)[:500],
                                       next_attempt_at=retry.due_at), retry=retry, was_waiting=was_waiting)

    def _failed(self, request: DeliveryRequested, attempts: int, was_waiting: bool, error: str, code: str | None,
                *, permanent: bool = True) -> Attempted:
        now = self.clock.now()
        event = NotificationFailed(intent_id=request.intent_id, recipient_id=request.recipient_id,
                                   channel=request.channel, error=error[:500], permanent=permanent, failed_at=now)
        change = None
        source = opt_out_source(request.channel, code)
        if source is not None:  # the address will never take a message: her channel goes off, as a webhook would
            change = RecipientChange(change_id=f"refused:{request.key}", recipient_id=request.recipient_id,
                                     kind="opted_out", at=now, channel=request.channel, source=source)
        return Attempted(self._outcome(request, "failed", attempts, provider_code=code, error=error[:500]),
                         _wrap(request, event), change, was_waiting=was_waiting)

    def _suppressed(self, request: DeliveryRequested, attempts: int, was_waiting: bool) -> Attempted:
        event = NotificationSuppressed(intent_id=request.intent_id, recipient_id=request.recipient_id,
                                       reason="opted_out", decided_at=self.clock.now())
        return Attempted(self._outcome(request, "cancelled", attempts - 1, error="no address"),
                         _wrap(request, event), was_waiting=was_waiting)

    def _outcome(self, request: DeliveryRequested, status: OutcomeStatus, attempts: int, **fields) -> DeliveryOutcome:
        return DeliveryOutcome(key=request.key, intent_id=request.intent_id, recipient_id=request.recipient_id,
                               channel=request.channel, status=status, attempts=attempts, at=self.clock.now(),
                               **fields)

    def _message(self, request: DeliveryRequested) -> OutboundMessage:
        unsubscribe_url = None
        if request.channel == "email":
            token = self.tokens.issue(request.recipient_id, "email")
            unsubscribe_url = f"{self.public_base_url}/unsubscribe/{token}"
        variables = message_variables(request.variables, recipient_name=request.display_name,
                                      channel=request.channel, unsubscribe_url=unsubscribe_url)
        rendered = render(request.template, locale=request.locale, channel=request.channel, variables=variables,
                          sender=self.sender)
        callback = f"{self.public_base_url}/webhooks/twilio/status" if request.channel == "sms" else None
        return OutboundMessage(
            idempotency_key=request.key, address=request.address, subject=rendered.subject, body=rendered.body,
            sender_name=f"{variables['company_name']} via Tsunagu", unsubscribe_url=unsubscribe_url,
            status_callback_url=callback)

    # --- committing ---
    async def _commit(self, owned: OwnedDeliveries) -> None:
        """The partition's finished work in one transaction: its leading finished records with their
        offsets, and the retries and cancellations finished since the last commit."""
        done = len(owned.done)
        batch, results, reads = _finished_work(owned)
        if not results and not batch.offsets:
            return
        try:
            await self.stream.commit(batch)
        except (ProducerFenced, InvalidProducerEpoch) as exc:
            if not self.stream.holds(owned.partition):
                # another worker owns this partition now: it reads these records again (what this
                # process sent stays remembered by key, should the partition come back here)
                log.warning("delivery_partition_fenced", partition=owned.partition)
                self._drop(owned.partition)
                await self.stream.release({owned.partition})
                return
            # still ours: the broker ended the transaction (one it timed out across a restart); commit
            # the same work with a fresh producer, as below
            log.warning("delivery_producer_fenced_by_broker", partition=owned.partition, error=repr(exc))
            await self._own_again(owned.partition)
            return
        except Exception as exc:  # the broker away, a timeout: commit the same work again with a fresh producer
            log.warning("delivery_batch_not_committed", partition=owned.partition, error=repr(exc))
            await self._own_again(owned.partition)
            return
        del owned.done[:done]
        for _ in range(reads):
            owned.reads.popleft()
        self._committed(owned, results)
        CONSUMED.labels(self.stream.group, "processed").inc(reads)

    async def _own_again(self, partition: int) -> None:
        """A fresh producer for the partition's next try at committing the work it keeps."""
        try:
            await self.stream.own(partition)
        except Exception as again:
            log.warning("delivery_producer_restart_failed", partition=partition, error=repr(again))
        await asyncio.sleep(0.5)

    def _committed(self, owned: OwnedDeliveries, results: list[Attempted]) -> None:
        """After the commit: a retry now waits in the changelog (or ends cancelled, when its delivery was
        stopped meanwhile), and every outcome is recorded."""
        for result in results:
            key = result.outcome.key
            self._accepted.pop(key, None)
            if result.retry is not None:  # its next attempt waits in the changelog now
                if key in owned.stopped:
                    owned.done.append(Attempted(self._outcome(result.retry.request, "cancelled",
                                                              result.retry.attempts, error="cancelled"),
                                                was_waiting=True))
                else:
                    owned.wait(result.retry)
                owned.open.pop(key, None)
                owned.stopped.discard(key)
            self.outcome_recorded(result.outcome)

    def outcome_recorded(self, outcome: DeliveryOutcome) -> None:
        """Every delivery outcome passes here once, after the transaction that records it committed."""
        delivery_outcome(outcome)
        log.debug("delivery_outcome", key=outcome.key, status=outcome.status, attempts=outcome.attempts,
                  channel=outcome.channel, provider_code=outcome.provider_code)



def _finished_work(owned: OwnedDeliveries) -> tuple[DeliveryBatch, list[Attempted], int]:
    """The partition's finished work as one batch: the results done since the last commit and those of
    its leading finished reads (with their offsets and dead letters); and how many reads that is."""
    results = list(owned.done)
    batch, reads = DeliveryBatch(partition=owned.partition), 0
    for read in owned.reads:
        if not read.finished:
            break
        reads += 1
        batch.offsets[read.tp] = read.next_offset
        if read.task is not None and not read.task.cancelled():
            results.append(read.task.result())
        results.extend(read.results)
        if read.dead_letter is not None:
            batch.dead_letters.append(read.dead_letter)
    for result in results:
        batch.outcomes.append(result.outcome)
        if result.event is not None:
            batch.events.append(result.event)
        if result.change is not None:
            batch.changes.append(result.change)
        if result.retry is not None:
            batch.waiting[result.outcome.key] = result.retry
        elif result.was_waiting:
            batch.waiting[result.outcome.key] = None
    return batch, results, reads


def _wrap(request: DeliveryRequested, event: DomainEvent) -> Envelope:
    """The outcome's event, in the correlation of the intent it answers."""
    return Envelope.wrap(event, source=SOURCE, correlation_id=request.correlation_id,
                         causation_id=request.causation_id)
