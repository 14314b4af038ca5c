"""What an operator needs of the Kafka side: dead letters per group, consumer lag per group and
partition, and a span per processed event continuing the trace its envelope carries."""

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.observability.tracing import continued_from
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import CONSUMER_GROUPS, topic_name

log = structlog.get_logger(__name__)

DEAD_LETTERS = Counter("tsunagu_dead_letters_total", "Records a consumer group sent to its dead-letter topic",
                       ["group"])
LAG = Gauge("tsunagu_kafka_consumer_lag", "Records on a partition not yet committed by the consumer group "
            "(end offset minus committed offset)", ["group", "topic", "partition"])


def dead_lettered(group: str) -> None:
    DEAD_LETTERS.labels(group).inc()


def expect_dead_letters(group: str) -> None:
    """Show the group's dead-letter count (0) before the first one: an alert on its increase needs a series."""
    DEAD_LETTERS.labels(group)


@contextmanager
def processing(envelope: Envelope, record: ConsumerRecord, group: str) -> Iterator[None]:
    """The span of handling one event, a child of the span that wrote it; its log lines name the event."""
    attributes = {"messaging.system": "kafka", "messaging.operation.type": "process",
                  "messaging.destination.name": record.topic, "messaging.consumer.group.name": group,
                  "messaging.destination.partition.id": str(record.partition),
                  "messaging.kafka.offset": record.offset, "messaging.message.id": envelope.id,
                  "cloudevents.event_type": envelope.type, "cloudevents.event_subject": envelope.subject}
    with continued_from(envelope, f"process {envelope.type}", kind=SpanKind.CONSUMER, attributes=attributes), \
            structlog.contextvars.bound_contextvars(event_id=envelope.id):
        yield


def groups_of(service: str) -> list[str]:
    """The consumer groups a service's processes are members of (the registry's names)."""
    return [g for g in CONSUMER_GROUPS if g == service or g.startswith(f"{service}-")]


class ConsumerLag:
    """Reads, for each group of the service, its committed offsets and the end of every partition
    of its topics, as the broker has them (a stuck or dead member's lag grows all the same); every
    replica of a service reports the same figures (alerts take the max)."""

    def __init__(self, settings: ServiceSettings) -> None:
        prefix = settings.topic_prefix
        self._groups = {f"{prefix}{g}": [topic_name(t, prefix) for t in CONSUMER_GROUPS[g]]
                        for g in groups_of(settings.service_name)}
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None

    async def measure(self) -> None:
        if not self._groups:
            return
        try:
            await self._measure()
        except Exception:
            await self.close()  # connect again next time
            raise

    async def _measure(self) -> None:
        admin, reader = await self._clients()
        described = await admin.describe_topics(sorted({t for topics in self._groups.values() for t in topics}))
        numbers = {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described}
        for group, topics in self._groups.items():
            partitions = [TopicPartition(t, p) for t in topics for p in numbers.get(t, ())]
            if not partitions:
                continue
            committed = await admin.list_consumer_group_offsets(group)
            ends = await reader.end_offsets(partitions)
            unread = [tp for tp in partitions if tp not in committed or committed[tp].offset < 0]
            starts = await reader.beginning_offsets(unread) if unread else {}
            for tp in partitions:
                done = committed[tp].offset if tp not in starts else starts[tp]
                LAG.labels(group, tp.topic, str(tp.partition)).set(max(0, ends[tp] - done))

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._reader is None:
            options = self._settings.kafka_client_options()
            admin = AIOKafkaAdminClient(bootstrap_servers=self._settings.kafka_bootstrap, **options)
            reader = AIOKafkaConsumer(bootstrap_servers=self._settings.kafka_bootstrap, enable_auto_commit=False,
                                      **options)
            await admin.start()
            await reader.start()
            self._admin, self._reader = admin, reader
        return self._admin, self._reader

    async def close(self) -> None:
        admin, reader, self._admin, self._reader = self._admin, self._reader, None, None
        for client, close in ((admin, "close"), (reader, "stop")):
            if client is not None:
                try:
                    await getattr(client, close)()
                except Exception as exc:  # closing a client whose broker went away
                    log.debug("lag_client_close_failed", error=str(exc))
