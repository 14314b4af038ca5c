"""Events of other services that scout keeps state from (profile facts, events she attended, replies)."""

from dataclasses import dataclass

from tsunagu_scout.adapters.campaigns import CampaignRepository
from tsunagu_scout.adapters.candidates import CandidateRepository
from tsunagu_scout.handlers.scouting import ScoutingHandlers
from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    ContactPreferencesChanged,
    EventAttended,
    EventPublished,
    ProfileCreated,
    ProfileDeleted,
    ProfileUpdated,
    ReplyReceived,
)

KEPT_FIELDS = ("display_name", "industries", "location", "school", "faculty", "self_pr", "job_types", "languages",
               "graduation_year", "email", "phone")
CREATED_FIELDS = {"display_name", "industries", "location", "school", "faculty", "self_pr", "job_types", "languages",
                  "graduation_year"}


@dataclass
class EventHandlers:
    candidates: CandidateRepository
    campaigns: CampaignRepository
    scouting: ScoutingHandlers
    clock: Clock

    async def on_event(self, envelope: Envelope) -> None:
        """Idempotent on scout's own state: replaying any of these changes nothing more."""
        event = envelope.event()
        if isinstance(event, ProfileCreated):
            fields = event.model_dump(include=CREATED_FIELDS)
            await self.candidates.upsert(event.candidate_id, {**fields, "origin": "profile"})
        elif isinstance(event, ProfileUpdated):
            fields = {k: v for k, v in event.changes.items() if k in KEPT_FIELDS}
            if "languages" in fields:  # [{language, level}] on the profile; the codes here
                fields["languages"] = [entry["language"] for entry in fields["languages"] or []]
            if fields.get("email"):
                fields["email"] = str(fields["email"]).strip().lower()
            if fields:
                await self.candidates.upsert(event.candidate_id, fields)
        elif isinstance(event, ContactPreferencesChanged):
            fields = {"email": event.email.strip().lower() if event.email else None, "phone": event.phone}
            await self.candidates.upsert(event.candidate_id, fields)
        elif isinstance(event, ProfileDeleted):
            await self.scouting.forget(event.candidate_id)
            await self.campaigns.erase_candidate(event.candidate_id)
            await self.candidates.erase(event.candidate_id, self.clock.now())
        elif isinstance(event, EventPublished):
            await self.candidates.name_event(event.event_id, event.title)
        elif isinstance(event, EventAttended):
            await self.candidates.attended(event.candidate_id, event.event_id)
        elif isinstance(event, ReplyReceived):
            await self.scouting.replied(company_id=event.company_id, candidate_id=event.candidate_id,
                                        scout_id=event.scout_id)
