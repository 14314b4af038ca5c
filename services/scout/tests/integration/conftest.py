"""Fixtures of the scout integration tests: a running service on the real broker and database,
with a clock the test can move."""

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from tsunagu_scout.bootstrap import Container
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints.api import create_app
from tsunagu_shared.clock import SettableClock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileCreated
from tsunagu_shared.testing import bearer, isolated_settings, running_service


@dataclass
class ScoutStack:
    client: httpx.AsyncClient
    settings: ScoutSettings
    container: Container
    clock: SettableClock

    def admin(self) -> dict:
        return bearer(self.settings, role="admin", subject="admin-1")

    def recruiter(self, company_id: str, recruiter_id: str = "rec-1") -> dict:
        return bearer(self.settings, role="recruiter", subject=recruiter_id, company_id=company_id)

    def student(self, candidate_id: str) -> dict:
        return bearer(self.settings, role="candidate", subject=candidate_id)

    async def company(self, company_id: str, *, regular: int = 10, premium: int = 2, max_awaiting: int = 50,
                      recruiter_id: str = "rec-1", **extra) -> dict:
        """An active company with one active recruiter."""
        body = {"company_id": company_id, "name": f"{company_id} Inc.",
                "plan": {"name": "standard", "monthly_quota": {"regular": regular, "premium": premium},
                         "max_awaiting": max_awaiting}, **extra}
        created = await self.client.post("/admin/companies", json=body, headers=self.admin())
        assert created.status_code == 201, created.text
        put = await self.client.put(f"/admin/companies/{company_id}/recruiters/{recruiter_id}",
                                    json={"display_name": "Sato Aiko"}, headers=self.admin())
        assert put.status_code == 200, put.text
        return created.json()

    async def student_known(self, candidate_id: str, **facts) -> None:
        """Feed scout's real event handler a ProfileCreated (the broker path is tested on its own).
        Her self-PR mentions robotics unless told otherwise, so the default reason refers to her."""
        facts.setdefault("self_pr", "I build robotics software in my lab.")
        event = ProfileCreated(candidate_id=candidate_id, display_name=facts.pop("display_name", "Hanako"),
                               created_at=self.clock.now(), **facts)
        await self.container.events.on_event(Envelope.wrap(event, source="tests/profile"))

    async def send(self, company_id: str, candidate_id: str, *, reason: str = "Your robotics thesis fits our team",
                   recruiter_id: str = "rec-1", **extra) -> httpx.Response:
        return await self.client.post("/scouts", json={"candidate_id": candidate_id, "reason": reason, **extra},
                                      headers=self.recruiter(company_id, recruiter_id))


@pytest.fixture
async def stack():
    # imports are resumed by the tests themselves (resume_stalled): the service's own look, every 15 s,
    # would race them for the same stalled job on a slow machine
    settings = isolated_settings(ScoutSettings, sweep_seconds=0.2, campaign_resume_seconds=3600)
    clock = SettableClock(datetime(2026, 4, 10, 3, 0, tzinfo=UTC), frozen=True)
    app = create_app(settings, clock=clock)
    async with running_service(app) as client:
        yield ScoutStack(client=client, settings=settings, container=app.state.container, clock=clock)
