"""The Kafka side of the policy processor: her partition, her changelog, one transaction per batch.

- One consumer of group `notify-policy` reads notify.intents and notify.recipient-changes
  (read_committed). The range assignor gives partition p of both topics to the same member,
  and every producer keys by recipient id, so the owner of p is the only writer of the people
  hashed to p.
- Each owned partition has its own transactional producer (`transactional.id` =
  `<group>-<p>`). A new owner's producer starts with the same id, which fences the previous
  owner: its open transaction is aborted and it can never commit again, so two workers that
  briefly hold one person during a rebalance cannot both count against her caps.
- Her state is restored on assignment from the compacted changelog notify.recipient-state
  (read_committed, up to the end), after the fencing producer has started.
- A batch commits its changelog records, effects, public events, new requests, dead letters
  and the consumer offsets in one transaction: all of it, or none.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from pydantic import Field, TypeAdapter
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import DomainEvent, NotificationCancelled
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import (
    NOTIFY_DELIVERY_REQUESTS,
    NOTIFY_INTENTS,
    NOTIFY_POLICY_EFFECTS,
    NOTIFY_RECIPIENT_CHANGES,
    NOTIFY_RECIPIENT_STATE,
    topic_name,
)

from tsunagu_notify.adapters.partitions import OwnedPartitionsStream, rewind
from tsunagu_notify.adapters.record_batches import PartitionBatches
from tsunagu_notify.domain.delivery import DeliveryOutcome
from tsunagu_notify.domain.recipient import Effect, OwnedRecipient, RecipientChange

log = structlog.get_logger(__name__)

GROUP = "notify-policy"
VIEWS_GROUP = "notify-views"
# what the views show: the policy's effects and the channel workers' outcomes, in her order
EFFECTS = TypeAdapter(Annotated[Effect | DeliveryOutcome, Field(discriminator="kind")])
# effects the channel workers act on too (notify.delivery-requests, same partition, same order)
FOR_CHANNEL_WORKERS = frozenset({"delivery", "deliveries_cancelled", "erased"})
SOURCE = "tsunagu/notify"


@dataclass
class Batch:
    """What one partition's batch commits together."""

    partition: int
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    states: dict[str, OwnedRecipient] = field(default_factory=dict)
    effects: list[Effect] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)
    dead_letters: list[tuple[ConsumerRecord, list]] = field(default_factory=list)

    def publish(self, event: DomainEvent, cause: Envelope | None = None) -> None:
        self.events.append(cause.caused(event, source=SOURCE) if cause else Envelope.wrap(event, source=SOURCE))

    @property
    def empty(self) -> bool:
        return not (self.offsets or self.states or self.effects or self.events or self.dead_letters)


class RecipientStream(OwnedPartitionsStream):
    def __init__(self, settings: ServiceSettings) -> None:
        super().__init__(settings, GROUP, partition_assignment_strategy=(RangePartitionAssignor,))
        prefix = settings.topic_prefix
        self.intents = topic_name(NOTIFY_INTENTS, prefix)
        self.changes = topic_name(NOTIFY_RECIPIENT_CHANGES, prefix)
        self.state_changelog = topic_name(NOTIFY_RECIPIENT_STATE, prefix)
        self.effects = topic_name(NOTIFY_POLICY_EFFECTS, prefix)
        self.requests = topic_name(NOTIFY_DELIVERY_REQUESTS, prefix)

    def listen(self, *, assigned: Callable[[set[int]], Awaitable[None]],
               revoked: Callable[[set[int]], Awaitable[None]]) -> None:
        """Subscribe, calling back with the partition numbers gained and lost at each rebalance."""
        self.subscribe([self.changes, self.intents], assigned=assigned, revoked=revoked)

    async def restore(self, partition: int) -> dict[str, OwnedRecipient]:
        """Everyone of this partition as the changelog last committed them."""
        newest = await self.changelog(self.state_changelog, partition)
        return {key.decode(): OwnedRecipient.model_validate_json(record.value) for key, record in newest.items()}

    def is_change(self, record: ConsumerRecord) -> bool:
        return record.topic == self.changes

    async def commit(self, batch: Batch) -> None:
        """Everything the batch produced and its offsets, in one transaction."""
        producer = self._producers[batch.partition]
        async with producer.transaction():
            records = PartitionBatches(producer, batch.partition)
            for recipient_id, owned in batch.states.items():
                await records.add(self.state_changelog, owned.model_dump_json().encode(), recipient_id.encode())
            for effect in batch.effects:
                value, key = effect.model_dump_json().encode(), _recipient_of(effect).encode()
                await records.add(self.effects, value, key)
                if effect.kind in FOR_CHANNEL_WORKERS:
                    await records.add(self.requests, value, key)
            await records.flush()
            await self.send_events_and_offsets(producer, batch.events, batch.dead_letters, batch.offsets)


@dataclass
class EffectBatch:
    partition: TopicPartition
    first: int
    next: int
    effects: list[Effect]


class Effects(Protocol):
    """The committed policy effects the projector reads, in batches per partition (EffectFeed)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def poll(self, timeout_ms: int, max_records: int) -> list[EffectBatch]: ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...

    def rewind(self, offsets: dict[TopicPartition, int]) -> None: ...


class EffectFeed:
    """notify.policy-effects as committed (read_committed), for the projector of the views."""

    def __init__(self, settings: ServiceSettings) -> None:
        prefix = settings.topic_prefix
        self.group = f"{prefix}{VIEWS_GROUP}"
        self.consumer = AIOKafkaConsumer(
            topic_name(NOTIFY_POLICY_EFFECTS, prefix), bootstrap_servers=settings.kafka_bootstrap,
            group_id=self.group, isolation_level="read_committed", enable_auto_commit=False,
            auto_offset_reset="earliest", **settings.kafka_client_options())

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def poll(self, timeout_ms: int, max_records: int) -> list["EffectBatch"]:
        polled = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        return [EffectBatch(tp, records[0].offset, records[-1].offset + 1,
                            [EFFECTS.validate_json(r.value) for r in records])
                for tp, records in polled.items() if records]

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.consumer.commit(offsets)

    def rewind(self, offsets: dict[TopicPartition, int]) -> None:
        rewind(self.consumer, offsets)


class ChangeRequests(Protocol):
    """How a handler asks the owner of her partition for a change (RecipientChanges)."""

    async def request(self, change: RecipientChange) -> None: ...


class RecipientChanges:
    """Asks the owner of her partition to change her state (webhooks, directory, LINE, erasure)."""

    def __init__(self, publisher, settings: ServiceSettings) -> None:
        self._publisher = publisher
        self._topic = topic_name(NOTIFY_RECIPIENT_CHANGES, settings.topic_prefix)

    async def request(self, change: RecipientChange) -> None:
        """Acknowledged by the broker once this returns; applied by her owner shortly after."""
        await self._publisher.publish_raw(self._topic, change.model_dump_json().encode(),
                                          key=change.recipient_id.encode(), headers=[])

    async def cancel_intents(self, recipient_id: str, intent_ids: list[str], reason: str, at: datetime) -> None:
        """These intents must not go out (a journey's goal was reached): NotificationCancelled, in her order."""
        event = NotificationCancelled(recipient_id=recipient_id, intent_ids=intent_ids, reason=reason, cancelled_at=at)
        await self._publisher.publish(Envelope.wrap(event, source=SOURCE))


def _recipient_of(effect: Effect) -> str:
    if effect.kind == "state":
        return effect.state.recipient_id
    if effect.kind == "decision":
        return effect.decision.recipient_id
    return effect.recipient_id
