"""The consumer loop of a projector: a partition's batch of events handled in one call.

A projector writes a search index from a service's own events. It re-reads what an event names
from the store (by `_id`) and writes it with an external version (docs/architecture.md, "The read
side"), so a replayed or reordered event ends in the store's state: that is what makes it
idempotent by event id, without a processed-event record per event. Handling a whole poll at once
lets a burst of events become one bulk request (and one store read per changed object, however
many events named it).

Refused records (undecodable, oversized, an unknown version) go to the group's dead-letter topic
as in `EventConsumer`; a batch the handler cannot write is retried without limit when the cause is
transient (the offsets wait), and otherwise narrowed to its failing records, which are dead-lettered.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiokafka import ConsumerRecord, TopicPartition

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.kafka.consumer import _TRANSIENT, CONSUMED, EventConsumer, Refused, screen

log = structlog.get_logger(__name__)

BatchHandler = Callable[[list[Envelope]], Awaitable[None]]


class ProjectorConsumer(EventConsumer):
    def __init__(self, *, handle_batch: BatchHandler, **options: Any) -> None:
        super().__init__(handle=self._handle_one, **options)
        self._handle_batch = handle_batch

    async def _handle_one(self, envelope: Envelope) -> None:
        await self._handle_batch([envelope])

    async def _consume_batch(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        accepted: list[tuple[ConsumerRecord, Envelope]] = []
        for record in records:
            screened = screen(record, self._max_event_bytes)
            if isinstance(screened, Refused):
                await self._dead_letter(record, screened.reason, screened.error_type)
            else:
                accepted.append((record, screened[0]))
        if accepted:
            outcome = await self._project(tp, [envelope for _, envelope in accepted])
            if outcome is None:
                return  # stopping: nothing is committed, the next owner projects these again
            if outcome is False:
                for record, envelope in accepted:  # one at a time: the failing ones are dead-lettered
                    alone = await self._project(tp, [envelope])
                    if alone is None:
                        return
                    if alone is False:
                        await self._dead_letter(record, "projection failed (see the projector's log)",
                                                "ProjectionFailed")
        CONSUMED.labels(self.group, "processed").inc(len(accepted))
        await self._commit(tp, records[-1].offset + 1)

    async def _project(self, tp: TopicPartition, envelopes: list[Envelope]) -> bool | None:
        """True when written; False when it keeps failing for a reason other than an unavailable
        dependency; None when the consumer stops first."""
        delay, attempts = self._backoff, 0
        while not self._stopping.is_set():
            try:
                await self._handle_batch(envelopes)
                return True
            except _TRANSIENT as exc:
                log.warning("projector_transient_error", group=self.group, partition=tp.partition, error=str(exc))
            except Exception:
                attempts += 1
                log.exception("projector_batch_failed", group=self.group, partition=tp.partition, attempt=attempts)
                if attempts >= self._max_attempts:
                    return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)
        return None
