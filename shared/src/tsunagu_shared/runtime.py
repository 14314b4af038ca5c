"""The infrastructure of one service process: database, publisher, outbox relay
and consumers, started and stopped together.

Start-up runs in one order in every service, in the background: the preparation of the
database (`prepare`: indexes), then the periodic work and the Kafka side (topics, publisher,
relay, consumers). A preparation that fails (the database is away) is tried again until it
succeeds; until then /readyz reports the database unavailable, so Kubernetes sends the pod no
traffic, and nothing that relies on the indexes (consumers, sweepers) has started.

The HTTP API never waits for Kafka: writes go to the database with their
outbox, so the API serves while the broker is away. The Kafka side starts in
the background and keeps retrying until the broker answers; /readyz reports
each dependency, and is ready when those the pod's work needs answer: the
database for an HTTP pod, the database and Kafka for a pod whose work is
consuming (`consumes_for_readiness`).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tsunagu_shared import db as database
from tsunagu_shared.kafka.admin import ensure_topics, wanted_topics
from tsunagu_shared.kafka.consumer import EventConsumer, Handler
from tsunagu_shared.kafka.producer import EventPublisher
from tsunagu_shared.kafka.projector import BatchHandler, ProjectorConsumer
from tsunagu_shared.observability import watch_infrastructure
from tsunagu_shared.outbox import OutboxRelay
from tsunagu_shared.periodic import Periodic
from tsunagu_shared.processed import ProcessedEvents
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import Topic, dlq_name, topic_name

log = structlog.get_logger(__name__)

# How long a periodic task's call under way may go on after shutdown began.
STOP_GRACE_SECONDS = 10.0
# The longest pause between two tries of a start-up step whose dependency is away.
RETRY_CEILING_SECONDS = 5.0


@dataclass
class Infrastructure:
    settings: ServiceSettings
    mongo: AsyncMongoClient
    db: AsyncDatabase
    publisher: EventPublisher
    relay: OutboxRelay
    consumers: list[EventConsumer] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _periodic: list[Periodic] = field(default_factory=list)
    _periodic_tasks: list[asyncio.Task] = field(default_factory=list)
    kafka_started: asyncio.Event = field(default_factory=asyncio.Event)
    # A pod whose work is consuming (notify) is not ready without Kafka; an HTTP pod is: its writes
    # need only the database, and the outbox publishes them once the broker is back.
    consumes_for_readiness: bool = False
    _closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _preparations: list[tuple[str, Callable[[], Awaitable[object]]]] = field(default_factory=list)
    _before_stop: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _starting: asyncio.Task | None = None
    prepared: asyncio.Event = field(default_factory=asyncio.Event)
    _preparing: str = ""

    @classmethod
    def open(cls, settings: ServiceSettings, *, outbox_collections: list[str]) -> "Infrastructure":
        """Build (without connecting) the clients of a service; call start() inside the running loop."""
        mongo = database.connect(settings.mongo_url)
        db = mongo[settings.database_name]
        publisher = EventPublisher(
            bootstrap=settings.kafka_bootstrap,
            topic_prefix=settings.topic_prefix,
            client_id=settings.service_name,
            options=settings.kafka_client_options(),
        )
        relay = OutboxRelay(
            db=db, collections=outbox_collections, publisher=publisher, poll_seconds=settings.outbox_poll_seconds,
            stale_marker_seconds=settings.outbox_stale_marker_seconds,
        )
        infra = cls(settings=settings, mongo=mongo, db=db, publisher=publisher, relay=relay)
        watch_infrastructure(infra)
        return infra

    def every(self, seconds: float, work: Callable[[], Awaitable[object]], *, name: str) -> Periodic:
        """Background work of the service (a sweeper, a scheduler) done every `seconds`:
        started with the service; at shutdown the call under way may finish (for up to
        `STOP_GRACE_SECONDS`, then it is cancelled: work must survive that, as it survives a crash)."""
        periodic = Periodic(work, seconds=seconds, name=name)
        self._periodic.append(periodic)
        return periodic

    def prepare(self, work: Callable[[], Awaitable[object]], *, name: str) -> None:
        """Prepare the database (create indexes) at start, before anything that relies on it runs;
        in the order registered, each tried again until it succeeds. Must be idempotent."""
        self._preparations.append((name, work))

    def before_stop(self, work: Callable[[], Awaitable[object]]) -> None:
        """Work of this process to end first when it stops, while the database and broker are still
        there (scout's import jobs)."""
        self._before_stop.append(work)

    def add_closer(self, close: Callable[[], Awaitable[object]]) -> None:
        """Close another client of the service (a search engine's) when the service stops."""
        self._closers.append(close)

    def topic(self, topic: Topic) -> str:
        return topic_name(topic, self.settings.topic_prefix)

    def add_consumer(self, *, group: str, topics: list[Topic], handle: Handler, key_concurrency: int = 1,
                     types: frozenset[str] | None = None) -> EventConsumer:
        """Register a consumer group; it starts with the Kafka side of the service. With
        `key_concurrency` > 1, records of different keys are handled side by side (for handlers
        whose order matters only per key). `types`: the event types the handler acts on; records of
        other types are passed over without reading or writing the processed-event store."""
        prefix = self.settings.topic_prefix
        consumer = EventConsumer(
            bootstrap=self.settings.kafka_bootstrap,
            group=f"{prefix}{group}",
            topics=[topic_name(t, prefix) for t in topics],
            dlq_topic=dlq_name(group, prefix),
            handle=handle,
            processed=ProcessedEvents(self.db, group),
            publisher=self.publisher,
            max_attempts=self.settings.consumer_max_attempts,
            max_event_bytes=self.settings.max_event_bytes,
            options=self.settings.kafka_client_options(),
            key_concurrency=key_concurrency,
            types=types,
        )
        self.consumers.append(consumer)
        return consumer

    def add_projector(self, *, group: str, topics: list[Topic], handle_batch: BatchHandler) -> EventConsumer:
        """Register a projector: each partition's poll handled in one call (tsunagu_shared.kafka.projector)."""
        prefix = self.settings.topic_prefix
        consumer = ProjectorConsumer(
            handle_batch=handle_batch, bootstrap=self.settings.kafka_bootstrap, group=f"{prefix}{group}",
            topics=[topic_name(t, prefix) for t in topics], dlq_topic=dlq_name(group, prefix),
            processed=ProcessedEvents(self.db, group), publisher=self.publisher,
            max_attempts=self.settings.consumer_max_attempts, max_event_bytes=self.settings.max_event_bytes,
            options=self.settings.kafka_client_options(),
        )
        self.consumers.append(consumer)
        return consumer

    async def start(self) -> None:
        """Start in the background (the HTTP API serves at once): preparations, then the rest."""
        self._starting = asyncio.create_task(self._start_in_order(), name="start-up")

    async def run_preparations(self) -> None:
        """The preparations, in order, each until it succeeds (also for a benchmark or a script that
        uses a service's container without starting it)."""
        for name, work in self._preparations:
            self._preparing = name
            await _until_done(work, what=name)
        self._preparing = ""
        self.prepared.set()

    async def _start_in_order(self) -> None:
        await self.run_preparations()
        self._periodic_tasks = [asyncio.create_task(p.run(), name=p.name) for p in self._periodic]
        await self._start_kafka_side()

    async def _start_kafka_side(self) -> None:
        delay = 0.2
        while True:
            try:
                if self.settings.kafka_create_topics:
                    await ensure_topics(
                        self.settings.kafka_bootstrap,
                        wanted_topics(self.settings.topic_prefix, self.settings.topic_partitions),
                        options=self.settings.kafka_client_options(),
                    )
                await self.publisher.start()
                break
            except Exception as exc:
                log.warning("kafka_unavailable_at_start", error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_CEILING_SECONDS)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for consumer in self.consumers:
            await consumer.start()
            self._tasks.append(asyncio.create_task(consumer.run(), name=f"consumer-{consumer.group}"))
        self.kafka_started.set()
        log.info("kafka_side_started", consumers=[c.group for c in self.consumers])

    async def stop(self) -> None:
        for work in self._before_stop:
            try:
                await work()
            except Exception:  # the rest must still stop
                log.exception("before_stop_failed")
        if self._starting is not None:  # a start-up still under way goes no further
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        for periodic in self._periodic:
            periodic.stop()
        if self._periodic_tasks:
            await asyncio.wait(self._periodic_tasks, timeout=STOP_GRACE_SECONDS)
        self.relay.stop()
        for consumer in self.consumers:
            await consumer.stop()
        tasks = self._tasks + self._periodic_tasks
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await self.publisher.stop()
        except Exception as exc:  # never started: nothing to flush
            log.debug("publisher_stop_failed", error=str(exc))
        await self.mongo.close()
        for close in self._closers:
            await close()

    def readiness_needs(self) -> tuple[str, ...]:
        """The checks of readiness() that must be "ok" for the pod to take traffic."""
        return ("database", "kafka") if self.consumes_for_readiness else ("database",)

    async def readiness(self) -> dict[str, str]:
        """Each dependency: "ok" or why not."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(database.ping(self.db), timeout=2)
            checks["database"] = "ok" if self.prepared.is_set() else f"unavailable: preparing {self._preparing}"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        if not self.kafka_started.is_set():
            checks["kafka"] = "unavailable: not connected yet"
        else:
            try:
                await asyncio.wait_for(self.publisher.ping(), timeout=2)
                checks["kafka"] = "ok"
            except Exception as exc:
                checks["kafka"] = f"unavailable: {type(exc).__name__}"
        return checks


async def _until_done(work: Callable[[], Awaitable[object]], *, what: str) -> None:
    delay = 0.2
    while True:
        try:
            await work()
            return
        except Exception as exc:
            log.warning("start_up_step_failed", step=what, error=repr(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CEILING_SECONDS)
