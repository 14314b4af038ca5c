"""The Kafka side of the channel workers: delivery requests in, one transaction per partition out.

- One consumer of group `notify-delivery` reads notify.delivery-requests (read_committed): the
  deliveries the policy decided to send, and the cancellations that follow them (an opt-out, a
  cancelled intent, her erasure), in her order; the policy writes them to the partition of her
  intents in the transaction of the decision.
- Each owned partition has its own transactional producer (`transactional.id` =
  `<group>-<p>`): a new owner fences the previous one, which can never commit an outcome again.
- Deliveries waiting for a retry are kept by the owner of the partition, durable in the
  compacted changelog notify.delivery-retries (keyed by delivery key, a tombstone once done),
  restored on assignment.
- A commit holds the outcomes (on notify.policy-effects, where the projector reads them after
  the decision they follow), the public events (NotificationSent/Failed/Suppressed), her state
  changes (a provider refusal that opts her out, on notify.recipient-changes), the changelog of
  waiting deliveries, dead letters and the consumer offsets: all of it, or none.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from aiokafka import ConsumerRecord, TopicPartition
from pydantic import Field, TypeAdapter
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import (
    NOTIFY_DELIVERY_REQUESTS,
    NOTIFY_DELIVERY_RETRIES,
    NOTIFY_POLICY_EFFECTS,
    NOTIFY_RECIPIENT_CHANGES,
    topic_name,
)

from tsunagu_notify.adapters.partitions import OwnedPartitionsStream
from tsunagu_notify.domain.delivery import DeliveryOutcome, WaitingDelivery
from tsunagu_notify.domain.recipient import DeliveriesCancelled, DeliveryRequested, Erased, RecipientChange

GROUP = "notify-delivery"
REQUESTS = TypeAdapter(Annotated[DeliveryRequested | DeliveriesCancelled | Erased, Field(discriminator="kind")])


@dataclass
class DeliveryBatch:
    """What one partition commits together."""

    partition: int
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)
    changes: list[RecipientChange] = field(default_factory=list)
    # delivery key -> its next attempt, or None once it waits no more (a tombstone)
    waiting: dict[str, WaitingDelivery | None] = field(default_factory=dict)
    dead_letters: list[tuple[ConsumerRecord, list]] = field(default_factory=list)


class DeliveryStream(OwnedPartitionsStream):
    def __init__(self, settings: ServiceSettings) -> None:
        super().__init__(settings, GROUP)
        prefix = settings.topic_prefix
        self.requests = topic_name(NOTIFY_DELIVERY_REQUESTS, prefix)
        self.retries = topic_name(NOTIFY_DELIVERY_RETRIES, prefix)
        self.effects = topic_name(NOTIFY_POLICY_EFFECTS, prefix)
        self.changes = topic_name(NOTIFY_RECIPIENT_CHANGES, prefix)

    def listen(self, *, assigned: Callable[[set[int]], Awaitable[None]],
               revoked: Callable[[set[int]], Awaitable[None]]) -> None:
        self.subscribe([self.requests], assigned=assigned, revoked=revoked)

    async def restore(self, partition: int) -> dict[str, WaitingDelivery]:
        """The deliveries of this partition waiting for a retry, as last committed."""
        newest = await self.changelog(self.retries, partition)
        return {key.decode(): WaitingDelivery.model_validate_json(record.value) for key, record in newest.items()}

    @staticmethod
    def decode(record: ConsumerRecord) -> DeliveryRequested | DeliveriesCancelled | Erased:
        return REQUESTS.validate_json(record.value or b"")

    async def commit(self, batch: DeliveryBatch) -> None:
        """Everything the batch produced and its offsets, in one transaction."""
        producer, p = self._producers[batch.partition], batch.partition
        async with producer.transaction():
            for key, waiting in batch.waiting.items():
                value = waiting.model_dump_json().encode() if waiting is not None else None
                await producer.send(self.retries, value, key=key.encode(), partition=p)
            for outcome in batch.outcomes:
                await producer.send(self.effects, outcome.model_dump_json().encode(),
                                    key=outcome.recipient_id.encode(), partition=p)
            for change in batch.changes:
                await producer.send(self.changes, change.model_dump_json().encode(),
                                    key=change.recipient_id.encode(), partition=p)
            await self.send_events_and_offsets(producer, batch.events, batch.dead_letters, batch.offsets)
