"""Orchestration of the profile service: load, apply the domain, store with events."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tsunagu_shared.auth import Principal
from tsunagu_shared.clock import SYSTEM_CLOCK, Clock
from tsunagu_shared.conflicts import retry_on_conflict
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    CompanyBlocked,
    CompanyStatusChanged,
    ContactOptedIn,
    ContactOptedOut,
    ContactPreferencesChanged,
    ProfileCreated,
    ProfileDeleted,
    ProfileUpdated,
    RecruiterChanged,
    SelectionProgressUpdated,
)
from tsunagu_shared.events.profile import ChannelConsent as ChannelConsentData
from tsunagu_shared.events.profile import SelectionProgressEntry

from tsunagu_profile.adapters.blocks import CompanyBlocks
from tsunagu_profile.adapters.directory import CompanyDirectory
from tsunagu_profile.adapters.photos import PhotoStore
from tsunagu_profile.adapters.repository import ProfileRepository
from tsunagu_profile.adapters.search_index import ProfileSearchIndex
from tsunagu_profile.domain import personality
from tsunagu_profile.domain.changes import CONTACT_FIELDS, apply_update, public_changes
from tsunagu_profile.domain.contact import (
    ContactPreferences,
    ContactPreferencesUpdate,
    change_contact_preferences,
    record_channel_signal,
)
from tsunagu_profile.domain.model import (
    PersonalityResult,
    Photo,
    Profile,
    ProfileCreate,
    ProfileRecruiterView,
    ProfileUpdate,
    SelectionProgress,
)
from tsunagu_profile.domain.photo import check_photo
from tsunagu_profile.domain.search import Cursor, SearchFilters
from tsunagu_profile.domain.visibility import Access, profile_access, recruiter_access
from tsunagu_profile.projection import ProfileProjection

SOURCE = "tsunagu/profile"

# A change: the profile after it and the events it publishes; None when nothing changed.
Change = Callable[[Profile, datetime], tuple[Profile, list[Envelope]] | None]


class ProfileNotFound(Exception):
    pass


class ProfileBusy(Exception):
    """Concurrent writes kept colliding; the caller may retry."""


@dataclass
class ProfileHandlers:
    profiles: ProfileRepository
    directory: CompanyDirectory
    photos: PhotoStore
    photo_max_bytes: int
    blocks: CompanyBlocks
    search_index: ProfileSearchIndex
    projection: ProfileProjection
    clock: Clock = SYSTEM_CLOCK

    def _now(self) -> datetime:
        """Now, to the millisecond the database keeps, so what we answer equals what we store."""
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    async def create_profile(self, *, candidate_id: str, data: ProfileCreate) -> Profile:
        """Create her profile with her initial contact preferences (consent only where she gave it)."""
        now = self._now()
        fields = data.model_dump(exclude={"contact_preferences"})
        profile = Profile(candidate_id=candidate_id, created_at=now, updated_at=now, last_active_at=now, **fields)
        if data.contact_preferences is not None:
            contact = change_contact_preferences(
                ContactPreferences(), data.contact_preferences, email=profile.email, phone=profile.phone,
                now=now, source="profile_signup",
            )
            profile = profile.model_copy(update={"contact": contact})
        created = ProfileCreated(
            candidate_id=candidate_id, display_name=profile.display_name, graduation_year=profile.graduation_year,
            school=profile.school, industries=profile.industries, location=profile.location, created_at=now,
            faculty=profile.faculty, self_pr=profile.self_pr, job_types=profile.job_types,
            languages=[language.language for language in profile.languages],
        )
        await self.profiles.add(profile, _wrap(created), _contact_event(profile, now))
        return profile

    async def get_profile(self, *, candidate_id: str) -> Profile:
        profile = await self.profiles.get(candidate_id)
        if profile is None:
            raise ProfileNotFound(candidate_id)
        return profile

    async def update_profile(self, *, candidate_id: str, update: ProfileUpdate) -> Profile:
        """A partial update; publishes ProfileUpdated with the changed fields (and contact data when touched)."""

        def change(profile: Profile, now: datetime):
            updated, changed = apply_update(profile, update, now=now)
            if not changed:
                return None
            events = [_wrap(ProfileUpdated(
                candidate_id=candidate_id, changed_fields=changed, changes=public_changes(updated, changed),
                updated_at=now,
            ))]
            if CONTACT_FIELDS.intersection(changed):
                events.append(_contact_event(updated, now))
            return updated, events

        return await self._write(candidate_id, change)

    async def replace_selection_progress(self, *, candidate_id: str, entries: list[SelectionProgress]) -> Profile:
        """Her selections at other companies, replaced as a whole; publishes SelectionProgressUpdated."""

        def change(profile: Profile, now: datetime):
            if profile.selection_progress == entries:
                return None
            updated = profile.model_copy(update={"selection_progress": entries, "updated_at": now,
                                                 "last_active_at": now})
            event = SelectionProgressUpdated(
                candidate_id=candidate_id, updated_at=now,
                entries=[SelectionProgressEntry(**e.model_dump()) for e in entries],
            )
            return updated, [_wrap(event)]

        return await self._write(candidate_id, change)

    async def take_personality_test(self, *, candidate_id: str, answers: dict[str, int]) -> Profile:
        """Score the answers; the result replaces any earlier one."""
        result_type, traits = personality.score(answers)

        def change(profile: Profile, now: datetime):
            result = PersonalityResult(result_type=result_type, traits=traits, taken_at=now)
            updated = profile.model_copy(update={"personality": result, "updated_at": now, "last_active_at": now})
            return updated, [_updated_event(candidate_id, now, personality=result.model_dump(mode="json"))]

        return await self._write(candidate_id, change)

    async def upload_photo(self, *, candidate_id: str, data: bytes) -> Profile:
        """Check the photo (type from its bytes, size), store it, and record it on the profile."""
        content_type = check_photo(data, max_bytes=self.photo_max_bytes)
        await self.get_profile(candidate_id=candidate_id)
        await self.photos.put(candidate_id, data)

        def change(profile: Profile, now: datetime):
            photo = Photo(content_type=content_type, size=len(data), uploaded_at=now)
            updated = profile.model_copy(update={"photo": photo, "has_photo": True, "updated_at": now,
                                                 "last_active_at": now})
            return updated, [_updated_event(candidate_id, now, has_photo=True)]

        return await self._write(candidate_id, change)

    async def read_photo(self, *, candidate_id: str) -> tuple[bytes, str]:
        profile = await self.get_profile(candidate_id=candidate_id)
        data = await self.photos.get(candidate_id) if profile.photo else None
        if profile.photo is None or data is None:
            raise ProfileNotFound(candidate_id)
        return data, profile.photo.content_type

    async def remove_photo(self, *, candidate_id: str) -> Profile:
        """Remove her photo from the store and the profile."""
        await self.get_profile(candidate_id=candidate_id)
        await self.photos.delete(candidate_id)

        def change(profile: Profile, now: datetime):
            if profile.photo is None:
                return None
            updated = profile.model_copy(update={"photo": None, "has_photo": False, "updated_at": now,
                                                 "last_active_at": now})
            return updated, [_updated_event(candidate_id, now, has_photo=False)]

        return await self._write(candidate_id, change)

    async def change_contact_preferences(
        self, *, candidate_id: str, change_request: ContactPreferencesUpdate, caller: Principal
    ) -> Profile:
        """Change channels, consent, preferred channel, time zone, quiet hours or stop_all."""
        own = caller.role == "candidate"
        source = "student" if own else f"{caller.role}:{caller.subject}"

        def change(profile: Profile, now: datetime):
            contact = change_contact_preferences(
                profile.contact, change_request, email=profile.email, phone=profile.phone, now=now, source=source,
                by_her=own,
            )
            if contact == profile.contact:
                return None
            touched = {"contact": contact, "updated_at": now, **({"last_active_at": now} if own else {})}
            updated = profile.model_copy(update=touched)
            return updated, [_contact_event(updated, now)]

        return await self._write(candidate_id, change)

    async def delete_profile(self, *, candidate_id: str) -> None:
        """Erase her personal data (photo first, then the document) and publish ProfileDeleted."""
        await self.get_profile(candidate_id=candidate_id)
        await self.photos.delete(candidate_id)
        deleted = ProfileDeleted(candidate_id=candidate_id, deleted_at=self._now())
        if not await self.profiles.delete(candidate_id, _wrap(deleted)):
            raise ProfileNotFound(candidate_id)

    async def search(
        self, *, filters: SearchFilters, sort: str, cursor: str | None, limit: int, company_id: str | None
    ) -> tuple[list[ProfileRecruiterView], str | None]:
        """One page of profiles from the profiles index and the cursor of the next page (None on
        the last). A recruiter's company never finds a student who blocked it."""
        position = Cursor.decode(cursor, sort=sort) if cursor else None
        found = await self.search_index.search(filters, sort=sort, cursor=position, limit=limit + 1,
                                               hidden_from=company_id)
        page = [ProfileRecruiterView.model_validate(source) for source, _ in found[:limit]]
        if len(found) <= limit:
            return page, None
        return page, found[limit - 1][1].encode()

    async def recruiter_access(self, caller: Principal) -> Access:
        """May this recruiter see profiles now? Read from the directory on every request, never cached."""
        standing = await self.directory.standing(recruiter_id=caller.subject, company_id=caller.company_id or "")
        return recruiter_access(caller.company_id or "", standing)

    async def hidden_from(self, candidate_id: str, company_id: str) -> bool:
        """Did she block this company? Then its recruiters cannot read her profile (404, as if absent)."""
        return profile_access(company_id, await self.blocks.of(candidate_id)) is Access.BLOCKED

    async def on_event(self, envelope: Envelope) -> None:
        """Events from the scout service: which companies participate, who their recruiters are,
        and which companies a student blocked; from notify: consent given or withdrawn on a channel."""
        event = envelope.event()
        if isinstance(event, CompanyStatusChanged):
            await self.directory.record_company(
                company_id=event.company_id, name=event.name, status=event.status, changed_at=event.changed_at
            )
        elif isinstance(event, RecruiterChanged):
            await self.directory.record_recruiter(
                recruiter_id=event.recruiter_id, company_id=event.company_id, active=event.active,
                changed_at=event.changed_at,
            )
        elif isinstance(event, CompanyBlocked):
            await self.blocks.record(candidate_id=event.candidate_id, company_id=event.company_id)
            await self.projection.project([event.candidate_id])
        elif isinstance(event, ContactOptedOut):
            await self.channel_signal(event.recipient_id, event.channel, consented=False, at=event.opted_out_at,
                                      source=event.source)
        elif isinstance(event, ContactOptedIn):
            await self.channel_signal(event.recipient_id, event.channel, consented=True, at=event.opted_in_at,
                                      source=event.source)

    async def channel_signal(self, candidate_id: str, channel: str, *, consented: bool, at: datetime,
                             source: str) -> None:
        """notify reports consent given or withdrawn on a channel (STOP/START, unsubscribe, LINE): her one
        consent record follows, and ContactPreferencesChanged tells notify the record. (An ATS applicant
        without a profile has no record here.)"""

        def change(profile: Profile, now: datetime):
            contact = record_channel_signal(profile.contact, channel, consented=consented, at=at, source=source)
            if contact == profile.contact:
                return None
            updated = profile.model_copy(update={"contact": contact, "updated_at": now})
            return updated, [_contact_event(updated, now)]

        try:
            await self._write(candidate_id, change)
        except ProfileNotFound:
            pass

    async def _write(self, candidate_id: str, change: Change) -> Profile:
        async def attempt() -> Profile:
            profile = await self.get_profile(candidate_id=candidate_id)
            outcome = change(profile, self._now())
            if outcome is None:
                return profile
            updated, events = outcome
            await self.profiles.save(updated, expected_version=profile.version, events=events)  # ConcurrentUpdate
            return updated.model_copy(update={"version": profile.version + 1})

        return await retry_on_conflict(attempt, busy=lambda: ProfileBusy(candidate_id))


def _wrap(event) -> Envelope:
    return Envelope.wrap(event, source=SOURCE)


def _updated_event(candidate_id: str, now: datetime, **changes) -> Envelope:
    return _wrap(ProfileUpdated(candidate_id=candidate_id, changed_fields=sorted(changes), changes=changes,
                                updated_at=now))


def _contact_event(profile: Profile, now: datetime) -> Envelope:
    """Everything notify keeps about her: contact points, consent records, preferences."""
    contact = profile.contact
    return _wrap(ContactPreferencesChanged(
        candidate_id=profile.candidate_id, display_name=profile.display_name, email=profile.email,
        phone=profile.phone,
        channels={name: ChannelConsentData(**c.model_dump()) for name, c in contact.channels.items()},
        preferred_channel=contact.preferred_channel, time_zone=contact.time_zone,
        quiet_hours_start=contact.quiet_hours_start, quiet_hours_end=contact.quiet_hours_end,
        locale=contact.locale, changed_at=now, stop_all=contact.stop_all,
    ))
