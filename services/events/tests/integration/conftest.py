"""Fixtures of the events service's integration tests: a running service on the real broker and database."""

from datetime import UTC, datetime, timedelta

import pytest
from tsunagu_events.config import EventsSettings
from tsunagu_events.entrypoints.api import create_app
from tsunagu_shared.testing import bearer, isolated_settings, running_service
from tsunagu_shared.topics import EVENTS_EVENTS, NOTIFY_INTENTS, topic_name


class EventsClient:
    """An HTTP client of the service plus ways to act as an admin, a recruiter or a student."""

    def __init__(self, client, settings: EventsSettings) -> None:
        self.http = client
        self.settings = settings
        self.events_topic = topic_name(EVENTS_EVENTS, settings.topic_prefix)
        self.intents_topic = topic_name(NOTIFY_INTENTS, settings.topic_prefix)

    def admin(self) -> dict:
        return bearer(self.settings, role="admin", subject="admin-1")

    def recruiter(self, company_id: str, subject: str = "rec-1") -> dict:
        return bearer(self.settings, role="recruiter", subject=subject, company_id=company_id)

    def student(self, candidate_id: str) -> dict:
        return bearer(self.settings, role="candidate", subject=candidate_id)

    async def publish(self, *, capacity: int, starts_in: timedelta = timedelta(days=2), headers=None, **extra) -> dict:
        body = {
            "title": "Kimisuka matching night",
            "starts_at": (datetime.now(UTC) + starts_in).isoformat(),
            "time_zone": "Asia/Tokyo",
            "venue": "Shibuya Hall 3F",
            "capacity": capacity,
            "company_ids": ["comp-a", "comp-b"],
            **extra,
        }
        response = await self.http.post("/events", json=body, headers=headers or self.admin())
        assert response.status_code == 201, response.text
        return response.json()

    async def register(self, event_id: str, candidate_id: str):
        return await self.http.post(f"/events/{event_id}/registration", headers=self.student(candidate_id))

    async def cancel(self, event_id: str, candidate_id: str):
        return await self.http.delete(f"/events/{event_id}/registration", headers=self.student(candidate_id))

    async def status_of(self, event_id: str, candidate_id: str) -> str:
        response = await self.http.get(f"/events/{event_id}/registration", headers=self.student(candidate_id))
        return response.json()["status"] if response.status_code == 200 else f"http {response.status_code}"


@pytest.fixture
async def service():
    settings = isolated_settings(EventsSettings)
    async with running_service(create_app(settings)) as client:
        yield EventsClient(client, settings)
