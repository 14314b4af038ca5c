"""Orchestration of the events service: load, let the domain decide, store with events."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import uuid4

from tsunagu_shared.clock import SYSTEM_CLOCK, Clock
from tsunagu_shared.conflicts import WriteConflict, retry_on_conflict
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import DomainEvent, EventAttended, MutualInterestMatched, ProfileDeleted

from tsunagu_events.adapters.events_repository import EventRepository
from tsunagu_events.adapters.registrations_repository import (
    InterestRepository,
    RegistrationRepository,
)
from tsunagu_events.domain import ledger, notices
from tsunagu_events.domain.model import (
    Actor,
    AlreadyRegistered,
    DomainError,
    Event,
    EventCreate,
    Interest,
    NotRegistered,
    Registration,
    ensure_cancellable,
    ensure_check_in_open,
    ensure_may_mark_interest,
    ensure_registration_open,
    may_manage,
    may_view_attendance,
    new_event,
    other_side,
    side_of,
    status_of,
)
from tsunagu_events.domain.views import EventPublic
from tsunagu_events.handlers.seating import Seating
from tsunagu_events.projection import EventProjection

SOURCE = "tsunagu/events"


class UnknownCode(DomainError):
    """No registration of this event has that check-in code (or it is not the caller's)."""


@dataclass
class EventsHandlers:
    events: EventRepository
    registrations: RegistrationRepository
    interests: InterestRepository
    projection: EventProjection
    clock: Clock = SYSTEM_CLOCK

    def __post_init__(self) -> None:
        self.seating = Seating(events=self.events, clock=self.clock)

    # -- events -----------------------------------------------------------------------------

    async def publish_event(self, *, actor: Actor, data: EventCreate) -> Event:
        event = new_event(event_id=uuid4().hex, data=data, actor=actor, now=self.clock.now())
        await self.events.add(event, *self._wrap([notices.published(event)]))
        await self.projection.project_quietly([event.event_id], refresh="wait_for")  # in the list at once
        return event

    async def get_event(self, *, event_id: str) -> Event:
        return await self.seating.event(event_id)

    async def upcoming_events(self, *, cursor: str | None = None, limit: int = 100
                              ) -> tuple[list[EventPublic], str | None]:
        """A page of the upcoming published events, soonest first, from the events index."""
        return await self.projection.lists.upcoming(self.clock.now(), cursor=cursor, limit=limit)

    async def cancel_event(self, *, event_id: str, actor: Actor, reason: str | None) -> Event:
        """Cancel the event; a registration racing in forces a re-decision, so nobody misses the notice."""
        may_manage(await self.seating.event(event_id), actor)
        event, _ = await self.seating.change(
            event_id, lambda event, now: ledger.cancel(event, reason=reason, now=now), self._wrap)
        await self.projection.project_quietly([event_id], refresh="wait_for")
        return event

    # -- registrations ----------------------------------------------------------------------

    async def register(self, *, event_id: str, candidate_id: str) -> tuple[Event, Registration]:
        """A seat if one is free, else the waitlist; one registration per student per event."""
        event = await self.seating.event(event_id)
        ensure_registration_open(event, self.clock.now())
        registration = await self._registration_to_place(event, candidate_id)
        event = await self.seating.place(event_id, registration_id=registration.registration_id,
                                         candidate_id=candidate_id, wrap=self._wrap)
        return event, registration

    async def _registration_to_place(self, event: Event, candidate_id: str) -> Registration:
        async def attempt() -> Registration:
            existing = await self.registrations.find(event.event_id, candidate_id)
            if existing is None:
                fresh = Registration(
                    registration_id=uuid4().hex, event_id=event.event_id, candidate_id=candidate_id,
                    check_in_code=secrets.token_urlsafe(12), created_at=self.clock.now(),
                )
                await self.registrations.add(fresh)  # RegistrationExists: another request of hers was first
                return fresh
            rid = existing.registration_id
            if rid in event.seats or rid in event.waitlist:
                raise AlreadyRegistered("you are already registered for this event")
            if rid not in event.left:
                return existing  # an earlier attempt stopped before its place was recorded
            await self.registrations.remove(existing)
            raise WriteConflict(rid)  # she gave it up before: start afresh

        return await retry_on_conflict(
            attempt, busy=lambda: AlreadyRegistered("you are already registered for this event"))

    async def my_registration(self, *, event_id: str, candidate_id: str) -> tuple[Event, Registration]:
        event = await self.seating.event(event_id)
        registration = await self.registrations.find(event_id, candidate_id)
        if registration is None or status_of(event, registration.registration_id) == "cancelled":
            raise NotRegistered("you are not registered for this event")
        return event, registration

    async def cancel_registration(self, *, event_id: str, candidate_id: str) -> None:
        """Give up her place; a freed seat goes to the first student on the waitlist."""
        event = await self.seating.event(event_id)
        ensure_cancellable(event, self.clock.now())
        registration = await self.registrations.find(event_id, candidate_id)
        if registration is None or not await self.seating.give_up(
                event_id, registration.registration_id, reason="cancelled_by_candidate", wrap=self._wrap):
            raise NotRegistered("you hold no place at this event")

    # -- at the event ---------------------------------------------------------------------

    async def check_in(self, *, event_id: str, code: str, actor: Actor) -> Registration:
        """Use a registration's one-time code: by event staff scanning it, or by the student herself."""
        event = await self.seating.event(event_id)
        if actor.role != "candidate":
            may_view_attendance(event, actor)
        registration = await self.registrations.by_code(event_id, code)
        if registration is None or (actor.role == "candidate" and registration.candidate_id != actor.subject):
            raise UnknownCode("no registration of this event has that check-in code")
        now = self.clock.now()
        ensure_check_in_open(event, now)
        if registration.registration_id not in event.seats:
            raise DomainError("only students holding a seat can check in (not waitlisted or cancelled)")
        attended = EventAttended(event_id=event_id, registration_id=registration.registration_id,
                                 candidate_id=registration.candidate_id, attended_at=now)
        if not await self.registrations.check_in(registration, now, *self._wrap([attended])):
            raise DomainError("this check-in code was already used")
        return registration.model_copy(update={"attended_at": now})

    async def attendance(self, *, event_id: str, actor: Actor) -> tuple[Event, list[Registration]]:
        """Seat holders with their check-in, so staff see the no-shows."""
        event = await self.seating.event(event_id)
        may_view_attendance(event, actor)
        registrations = await self.registrations.of_event(event)
        return event, [r for r in registrations if r.registration_id in event.seats]

    async def mark_interest(self, *, event_id: str, actor: Actor, company_id: str, candidate_id: str) -> Interest:
        """One side's interest; when both sides have marked it, MutualInterestMatched goes out once."""
        event = await self.seating.event(event_id)
        registration = await self.registrations.find(event_id, candidate_id)
        ensure_may_mark_interest(event, registration, company_id)
        interest = Interest(event_id=event_id, company_id=company_id, candidate_id=candidate_id)
        side = side_of(actor.role)
        await self.interests.mark(interest, side, self.clock.now())
        # Marked first, checked after: of two sides marking at once, at least the later one sees both.
        if not await self.interests.marked(interest, other_side(side)):
            return interest
        now = self.clock.now()
        matched = interest.model_copy(update={"matched_at": now})
        fact = MutualInterestMatched(event_id=event_id, company_id=company_id, candidate_id=candidate_id,
                                     matched_at=now)
        if await self.interests.record_match(matched, *self._wrap([fact])):
            return matched
        stored = await self.interests.matches(event_id, company_id=company_id, candidate_id=candidate_id)
        return stored[0] if stored else matched

    async def matches(self, *, event_id: str, actor: Actor) -> list[Interest]:
        """Mutual matches visible to the caller: hers, his company's, or all for an admin."""
        event = await self.seating.event(event_id)
        if actor.role == "candidate":
            return await self.interests.matches(event_id, candidate_id=actor.subject)
        may_view_attendance(event, actor)
        company = actor.company_id if actor.role == "recruiter" else None
        return await self.interests.matches(event_id, company_id=company)

    # -- other services ---------------------------------------------------------------------

    async def on_event(self, envelope: Envelope) -> None:
        """Events of other services this one reacts to."""
        fact = envelope.event()
        if isinstance(fact, ProfileDeleted):
            await self.forget_candidate(candidate_id=fact.candidate_id, cause=envelope)

    async def forget_candidate(self, *, candidate_id: str, cause: Envelope | None = None) -> None:
        """Erase her: free her seats and waitlist places (promoting others), call off her reminders,
        drop her id and codes from registrations and interests. Safe to run again."""
        wrap = (lambda facts: [cause.caused(f, source=SOURCE) for f in facts]) if cause else self._wrap
        for registration in await self.registrations.of_candidate(candidate_id):
            await self.seating.give_up(registration.event_id, registration.registration_id, reason="profile_deleted",
                                       wrap=wrap)
            await self.registrations.erase(registration)
        await self.registrations.forget(candidate_id)
        await self.interests.erase_candidate(candidate_id)

    @staticmethod
    def _wrap(facts: Sequence[DomainEvent]) -> list[Envelope]:
        """Envelopes of one decision share a correlation id."""
        envelopes: list[Envelope] = []
        for fact in facts:
            first = envelopes[0] if envelopes else None
            envelopes.append(first.caused(fact, source=SOURCE) if first else Envelope.wrap(fact, source=SOURCE))
        return envelopes
