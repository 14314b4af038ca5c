"""The idempotent event publisher (acks=all, enable_idempotence)."""

import asyncio
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)
from prometheus_client import Counter

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import EVENT_TYPES
from tsunagu_shared.observability.tracing import attached
from tsunagu_shared.topics import topic_name

log = structlog.get_logger(__name__)

PUBLISHED = Counter("tsunagu_events_published_total", "Events published to Kafka", ["topic", "type"])

# After these the idempotent producer's sequence state is wrong for good (seen after a
# broker restart): only a new producer, with a new producer id, can send again.
_BROKEN_PRODUCER = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


class EventPublisher:
    """Publishes envelopes to their event type's topic, keyed by subject."""

    def __init__(
        self, *, bootstrap: str, topic_prefix: str = "", client_id: str = "tsunagu",
        options: dict[str, Any] | None = None,
    ) -> None:
        self._prefix = topic_prefix
        self._settings = dict(
            bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
            linger_ms=2, request_timeout_ms=15_000, **(options or {}),
        )
        self._producer = AIOKafkaProducer(**self._settings)

    async def start(self) -> None:
        await self._producer.start()

    async def recover(self, error: BaseException) -> bool:
        """Replace the producer when `error` left it unable to send again; True if replaced.

        Callers that failed a send (the outbox relay) call this and retry: the events are
        still in their outbox, and a re-sent event keeps its id (consumers skip repeats)."""
        if not isinstance(error, _BROKEN_PRODUCER):
            return False
        log.warning("producer_replaced", error=type(error).__name__)
        broken, self._producer = self._producer, AIOKafkaProducer(**self._settings)
        await asyncio.gather(broken.stop(), return_exceptions=True)
        await self._producer.start()
        return True

    async def stop(self) -> None:
        await self._producer.stop()

    def topic_for(self, envelope: Envelope) -> str:
        model = EVENT_TYPES.get(envelope.type)
        if model is None:
            raise ValueError(f"no topic for unknown event type {envelope.type!r}")
        return topic_name(model.topic, self._prefix)

    async def publish(self, envelope: Envelope, *, topic: str | None = None) -> None:
        """Send and wait for the broker's acknowledgement from all in-sync replicas."""
        target = topic or self.topic_for(envelope)
        with attached(envelope):  # a traced send belongs to the trace of the event it sends
            await self._producer.send_and_wait(
                target, envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.headers()
            )
        PUBLISHED.labels(target, envelope.type).inc()

    async def send(self, envelope: Envelope) -> asyncio.Future[Any]:
        """Queue an envelope and return the future of its acknowledgement (for batches)."""
        target = self.topic_for(envelope)
        with attached(envelope):
            future: asyncio.Future[Any] = await self._producer.send(
                target, envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.headers()
            )
        PUBLISHED.labels(target, envelope.type).inc()
        return future

    async def publish_raw(self, topic: str, value: bytes, *, key: bytes | None,
                          headers: list[tuple[str, bytes]]) -> None:
        """Send bytes as they are (dead-letter copies, replays)."""
        await self._producer.send_and_wait(topic, value, key=key, headers=headers)

    async def ping(self) -> None:
        """Raise when the broker cannot be reached (used by /readyz)."""
        await self._producer.client.fetch_all_metadata()
