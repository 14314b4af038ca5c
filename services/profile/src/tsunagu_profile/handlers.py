"""Orchestration of the profile service: load, apply the domain, store with events."""

from dataclasses import dataclass
from datetime import datetime, timezone

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileCreated, ProfileDeleted
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_profile.adapters.repository import ProfileRepository
from tsunagu_profile.domain.model import Profile, ProfileCreate

SOURCE = "tsunagu/profile"


class ProfileNotFound(Exception):
    pass


@dataclass
class ProfileHandlers:
    profiles: ProfileRepository
    relay: OutboxRelay

    async def create_profile(self, *, candidate_id: str, data: ProfileCreate) -> Profile:
        now = datetime.now(timezone.utc)
        profile = Profile(candidate_id=candidate_id, created_at=now, updated_at=now, **data.model_dump())
        created = ProfileCreated(
            candidate_id=candidate_id,
            display_name=profile.display_name,
            graduation_year=profile.graduation_year,
            school=profile.school,
            industries=profile.industries,
            location=profile.location,
            created_at=now,
        )
        await self.profiles.add(profile, Envelope.wrap(created, source=SOURCE))
        self.relay.wake()
        return profile

    async def get_profile(self, *, candidate_id: str) -> Profile:
        profile = await self.profiles.get(candidate_id)
        if profile is None:
            raise ProfileNotFound(candidate_id)
        return profile

    async def delete_profile(self, *, candidate_id: str) -> None:
        deleted = ProfileDeleted(candidate_id=candidate_id, deleted_at=datetime.now(timezone.utc))
        if not await self.profiles.delete(candidate_id, Envelope.wrap(deleted, source=SOURCE)):
            raise ProfileNotFound(candidate_id)
        self.relay.wake()

    async def on_event(self, envelope: Envelope) -> None:
        """Events from other services (company status, recruiters): kept for visibility rules."""
