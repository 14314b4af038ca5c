"""A running profile service on the real broker and database, with helpers to act as each party."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.entrypoints.api import create_app
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyStatusChanged, RecruiterChanged
from tsunagu_shared.kafka import EventPublisher
from tsunagu_shared.testing import TopicReader, bearer, isolated_settings, running_service
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class ProfileStack:
    settings: ProfileSettings
    client: httpx.AsyncClient
    scout_events: EventPublisher
    container: Any = None
    png: bytes = PNG

    async def stored_photo(self, candidate_id: str) -> bytes | None:
        """Her photo's bytes as the database holds them (the service's own store)."""
        return await self.container.handlers.photos.get(candidate_id)

    def candidate(self, candidate_id: str) -> dict[str, str]:
        return bearer(self.settings, role="candidate", subject=candidate_id)

    def recruiter(self, recruiter_id: str, company_id: str) -> dict[str, str]:
        return bearer(self.settings, role="recruiter", subject=recruiter_id, company_id=company_id)

    def service(self) -> dict[str, str]:
        return bearer(self.settings, role="service", subject="messaging")

    def reader(self) -> TopicReader:
        return TopicReader(topic_name(PROFILE_EVENTS, self.settings.topic_prefix))

    async def company(self, company_id: str, *, status: str, change: str, recruiters: tuple[str, ...] = ()) -> None:
        """Publish what the scout service publishes when a company joins or leaves (and registers recruiters:
        profile refuses a recruiter id its company never registered)."""
        event = CompanyStatusChanged(company_id=company_id, name=f"Company {company_id}", status=status,
                                     change=change, changed_at=datetime.now(UTC))
        await self.scout_events.publish(Envelope.wrap(event, source="tsunagu/scout"))
        for recruiter_id in recruiters:
            await self.recruiter_changed(recruiter_id, company_id, active=True)

    async def recruiter_changed(self, recruiter_id: str, company_id: str, *, active: bool) -> None:
        event = RecruiterChanged(recruiter_id=recruiter_id, company_id=company_id, display_name="Sato",
                                 active=active, changed_at=datetime.now(UTC))
        await self.scout_events.publish(Envelope.wrap(event, source="tsunagu/scout"))

    async def search_status(self, headers: dict[str, str]) -> int:
        return (await self.client.get("/profiles", params={"limit": 1}, headers=headers)).status_code

    async def eventually(self, check: Callable[[], Awaitable[bool]], *, what: str, timeout: float = 20.0) -> None:
        await eventually(check, what=what, timeout=timeout)

    async def joined(self, company_id: str) -> dict[str, str]:
        """A recruiter of `company_id` once the company joined (as the scout service announces it)."""
        await self.company(company_id, status="active", change="joined", recruiters=(f"rec-{company_id}",))
        rec = self.recruiter(f"rec-{company_id}", company_id)

        async def allowed() -> bool:
            return await self.search_status(rec) == 200
        await self.eventually(allowed, what=f"{company_id} joined")
        return rec

    async def found(self, headers: dict[str, str], **params) -> list[str]:
        """The candidate ids recruiter search answers, in its order."""
        response = await self.client.get("/profiles", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [p["candidate_id"] for p in response.json()["items"]]

    async def until_found(self, headers: dict[str, str], expected: list[str], **params) -> None:
        """Wait until search answers `expected`: it reads the index, which the projector fills
        from profile.events within about a second of a write."""
        async def answered() -> bool:
            return await self.found(headers, **params) == expected
        await self.eventually(answered, what=f"search {params} to answer {expected}")

    async def create(self, candidate_id: str, **fields) -> dict:
        body = {"display_name": f"Student {candidate_id}", **fields}
        response = await self.client.post("/profiles/me", json=body, headers=self.candidate(candidate_id))
        assert response.status_code == 201, response.text
        return response.json()


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll until check() holds (bounded), e.g. until a consumed event took effect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def stack(tmp_path):
    settings = isolated_settings(ProfileSettings)
    publisher = EventPublisher(bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix)
    app = create_app(settings)
    async with running_service(app) as client:
        await publisher.start()
        try:
            yield ProfileStack(settings=settings, client=client, scout_events=publisher, container=app.state.container)
        finally:
            await publisher.stop()
