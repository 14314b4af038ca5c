"""Changes to an event's seat ledger: each takes a version and returns the next one with the
facts to publish. Pure: the adapter stores a result only if no other change took that version."""

from datetime import datetime
from typing import Any

from tsunagu_shared.events import DomainEvent

from tsunagu_events.domain import notices
from tsunagu_events.domain.model import (
    DomainError,
    Event,
    Seat,
    WaitlistPlace,
    ensure_registration_open,
    is_upcoming,
    next_in_line,
)

Change = tuple[Event, list[DomainEvent]]


def _next(event: Event, **changes: Any) -> Event:
    return event.model_copy(update={"version": event.version + 1, **changes})


def place(event: Event, *, registration_id: str, candidate_id: str, now: datetime) -> Change:
    """A seat while one is free, else the end of the waitlist."""
    ensure_registration_open(event, now)
    if registration_id in event.seats or registration_id in event.waitlist:
        raise DomainError("this registration already holds a place")
    if event.seats_taken < event.capacity:
        facts, reminder_ids = notices.seat_given(
            event, registration_id=registration_id, candidate_id=candidate_id, status="registered", now=now)
        seat = Seat(candidate_id=candidate_id, seated_at=now, reminder_ids=reminder_ids)
        return _next(event, seats={**event.seats, registration_id: seat}), facts
    fact = notices.registered(event, registration_id=registration_id, candidate_id=candidate_id,
                              status="waitlisted", now=now)
    place_ = WaitlistPlace(candidate_id=candidate_id, joined_at=now)
    return _next(event, waitlist={**event.waitlist, registration_id: place_}), [fact]


def give_up(event: Event, *, registration_id: str, reason: str, now: datetime) -> Change | None:
    """Free a seat or a waitlist place (None when it holds neither). A seat freed before an
    upcoming event goes to the first student waiting, in the same change."""
    if registration_id not in event.seats and registration_id not in event.waitlist:
        return None
    facts = notices.place_given_up(event, registration_id=registration_id, reason=reason, now=now)
    seats = {k: v for k, v in event.seats.items() if k != registration_id}
    waitlist = {k: v for k, v in event.waitlist.items() if k != registration_id}
    left = {**event.left, registration_id: reason}
    promoted = next_in_line(event) if registration_id in event.seats and is_upcoming(event, now) else None
    if promoted is not None:
        candidate_id = waitlist.pop(promoted).candidate_id
        more, reminder_ids = notices.seat_given(
            event, registration_id=promoted, candidate_id=candidate_id, status="promoted", now=now)
        seats[promoted] = Seat(candidate_id=candidate_id, seated_at=now, reminder_ids=reminder_ids)
        facts += more
    return _next(event, seats=seats, waitlist=waitlist, left=left), facts


def cancel(event: Event, *, reason: str | None, now: datetime) -> Change:
    """Cancel the event: everyone holding a place is told, in the same change."""
    if event.status == "cancelled":
        raise DomainError("the event is already cancelled")
    if now >= event.starts_at:
        raise DomainError("the event has already started")
    facts = notices.event_cancelled(event, reason=reason, now=now)
    return _next(event, status="cancelled", cancelled_at=now), facts
