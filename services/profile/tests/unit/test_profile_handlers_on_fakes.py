"""The profile handlers on an in-memory repository (the port `ProfileRepository`): the orchestration —
which events a change publishes, retrying a write that lost a race, giving up busy — without a
database. The same paths run on the real stack in tests/integration."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from tsunagu_profile.adapters.repository import ConcurrentUpdate, ProfileAlreadyExists
from tsunagu_profile.domain.model import Profile, ProfileCreate, ProfileUpdate
from tsunagu_profile.handlers import ProfileBusy, ProfileHandlers, ProfileNotFound
from tsunagu_shared.clock import SettableClock
from tsunagu_shared.envelope import Envelope

NOW = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)


class InMemoryProfiles:
    """`ProfileRepository` in a dict, compare-and-set on `version` like the Mongo one. `races` makes
    that many of the next saves lose to another writer (who bumps the version first)."""

    def __init__(self) -> None:
        self.stored: dict[str, Profile] = {}
        self.published: list[Envelope] = []
        self.races = 0

    async def add(self, profile: Profile, *events: Envelope) -> None:
        if profile.candidate_id in self.stored:
            raise ProfileAlreadyExists(profile.candidate_id)
        self.stored[profile.candidate_id] = profile
        self.published.extend(events)

    async def get(self, candidate_id: str) -> Profile | None:
        return self.stored.get(candidate_id)

    async def save(self, profile: Profile, *, expected_version: int, events: list[Envelope]) -> None:
        current = self.stored[profile.candidate_id]
        if self.races:
            self.races -= 1
            self.stored[profile.candidate_id] = current.model_copy(update={"version": current.version + 1})
            raise ConcurrentUpdate(profile.candidate_id)
        if current.version != expected_version:
            raise ConcurrentUpdate(profile.candidate_id)
        self.stored[profile.candidate_id] = profile.model_copy(update={"version": expected_version + 1})
        self.published.extend(events)

    async def delete(self, candidate_id: str, *events: Envelope) -> bool:
        if self.stored.pop(candidate_id, None) is None:
            return False
        self.published.extend(events)
        return True

    async def every_profile(self, *, batch_size: int) -> AsyncIterator[tuple[str, Profile | None]]:
        for candidate_id, profile in list(self.stored.items()):
            yield candidate_id, profile


def handlers_on(profiles: InMemoryProfiles) -> ProfileHandlers:
    # only the profile repository is used by these paths
    return ProfileHandlers(profiles=profiles, directory=None, photos=None, photo_max_bytes=0,  # type: ignore[arg-type]
                           blocks=None, search_index=None, projection=None,  # type: ignore[arg-type]
                           clock=SettableClock(NOW, frozen=True))


def types(envelopes: list[Envelope]) -> list[str]:
    return [e.type for e in envelopes]


async def created(profiles: InMemoryProfiles) -> ProfileHandlers:
    handlers = handlers_on(profiles)
    await handlers.create_profile(candidate_id="hana", data=ProfileCreate(display_name="Hana", school="Kyoto"))
    return handlers


async def test_creating_publishes_her_profile_and_contact_preferences_at_the_clock_s_time():
    profiles = InMemoryProfiles()
    await created(profiles)
    assert types(profiles.published) == ["ProfileCreated", "ContactPreferencesChanged"]
    assert profiles.stored["hana"].created_at == NOW


async def test_an_update_that_lost_races_is_decided_again_on_the_fresh_profile():
    profiles = InMemoryProfiles()
    handlers = await created(profiles)
    profiles.published.clear()
    profiles.races = 2  # two other writers get there first
    updated = await handlers.update_profile(candidate_id="hana", update=ProfileUpdate(school="Osaka"))
    assert updated.school == "Osaka" and profiles.stored["hana"].school == "Osaka"
    assert types(profiles.published) == ["ProfileUpdated"]  # the lost attempts published nothing
    assert updated.version == profiles.stored["hana"].version == 4


async def test_an_update_that_keeps_losing_is_refused_busy_and_nothing_is_published():
    profiles = InMemoryProfiles()
    handlers = await created(profiles)
    profiles.published.clear()
    profiles.races = 10
    with pytest.raises(ProfileBusy):
        await handlers.update_profile(candidate_id="hana", update=ProfileUpdate(school="Osaka"))
    assert profiles.published == [] and profiles.stored["hana"].school == "Kyoto"


async def test_an_update_that_changes_nothing_writes_nothing_and_an_unknown_profile_is_not_found():
    profiles = InMemoryProfiles()
    handlers = await created(profiles)
    profiles.published.clear()
    same = await handlers.update_profile(candidate_id="hana", update=ProfileUpdate(school="Kyoto"))
    assert same.version == 1 and profiles.published == []
    with pytest.raises(ProfileNotFound):
        await handlers.update_profile(candidate_id="nobody", update=ProfileUpdate(school="Osaka"))
