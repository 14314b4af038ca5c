"""Helpers for messaging's real-infrastructure tests: a running service, events from the
other services put on the real broker, and a reader of what messaging published."""

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.entrypoints.api import create_app
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import DomainEvent, ProfileDeleted, ScoutSent
from tsunagu_shared.kafka.producer import EventPublisher
from tsunagu_shared.testing import TopicReader, bearer, isolated_settings, running_service
from tsunagu_shared.topics import MESSAGING_EVENTS, topic_name


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Stack:
    settings: MessagingSettings
    client: httpx.AsyncClient
    publisher: EventPublisher
    reader: TopicReader
    app: object

    def student(self, candidate_id: str, **claims) -> dict[str, str]:
        return bearer(self.settings, role="candidate", subject=candidate_id, **claims)

    def recruiter(self, company_id: str, recruiter_id: str = "rec-1") -> dict[str, str]:
        return bearer(self.settings, role="recruiter", subject=recruiter_id, company_id=company_id)

    def service(self) -> dict[str, str]:
        return bearer(self.settings, role="service", subject="some-service")

    async def publish(self, event: DomainEvent) -> Envelope:
        envelope = Envelope.wrap(event, source="tests")
        await self.publisher.publish(envelope)
        return envelope

    async def scout(self, company_id: str, candidate_id: str, *, scout_id: str | None = None) -> Envelope:
        return await self.publish(ScoutSent(
            scout_id=scout_id or f"scout-{uuid.uuid4().hex[:8]}", company_id=company_id,
            company_name=f"{company_id} Inc.", recruiter_id="rec-1", recruiter_name="Sato", candidate_id=candidate_id,
            reason="Your robotics club work fits our team", sent_at=now()))

    async def delete_profile(self, candidate_id: str) -> Envelope:
        return await self.publish(ProfileDeleted(candidate_id=candidate_id, deleted_at=now()))

    async def eventually(self, check, *, timeout: float = 20.0):
        """Poll an async check until it returns something truthy (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = await check()
            if result:
                return result
            await self.reader.poll(0.2)
        raise AssertionError("condition not reached in time")

    async def consumed(self, *envelopes: Envelope) -> None:
        """Wait until messaging's consumer has processed these events (its processed-ids record)."""
        processed = self.app.state.container.infra.db["processed_events.messaging"]
        wanted = [e.id for e in envelopes]

        async def all_done():
            return await processed.count_documents({"_id": {"$in": wanted}}) == len(wanted)
        await self.eventually(all_done)

    async def thread_of(self, candidate_id: str, company_id: str) -> dict:
        """Wait until the student sees a thread with this company; return it."""
        async def find():
            response = await self.client.get("/threads", headers=self.student(candidate_id))
            return next((t for t in response.json() if t["company_id"] == company_id), None)
        return await self.eventually(find)

    async def facts(self, *types: str) -> list[Envelope]:
        """Wait for these event types, read a while longer, and return what messaging published,
        one entry per event id: the outbox relay is at-least-once (a broker hiccup may resend an
        id, which every consumer skips), so exactly-once means one event id per fact."""
        await self.reader.wait_for_types(*types)
        unique: dict[str, Envelope] = {}
        for envelope in await self.reader.settle(1.0):
            unique.setdefault(envelope.id, envelope)
        return list(unique.values())


@asynccontextmanager
async def messaging_stack(tmp_path, **overrides) -> AsyncIterator[Stack]:
    settings = isolated_settings(MessagingSettings, **overrides)
    app = create_app(settings)
    publisher = EventPublisher(bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix)
    async with running_service(app) as client:
        await publisher.start()
        try:
            async with TopicReader(topic_name(MESSAGING_EVENTS, settings.topic_prefix)) as reader:
                yield Stack(settings=settings, client=client, publisher=publisher, reader=reader, app=app)
        finally:
            await publisher.stop()


@pytest.fixture
def in_days():
    return lambda days: (now() + timedelta(days=days)).isoformat()


@pytest.fixture
async def stack(tmp_path) -> AsyncIterator[Stack]:
    """A running messaging service on the real broker and database, with default settings."""
    async with messaging_stack(tmp_path) as running:
        yield running


@pytest.fixture
def stack_with(tmp_path):
    """A running messaging service with some settings changed: `async with stack_with(x=1) as s`."""
    return lambda **overrides: messaging_stack(tmp_path, **overrides)
