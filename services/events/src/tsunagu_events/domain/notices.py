"""The events that registration changes emit, and the reminders they ask notify for: pure builders."""

from datetime import datetime, timedelta
from typing import Any

from tsunagu_shared.events import (
    DomainEvent,
    EventCancelled,
    EventPublished,
    EventRegistered,
    EventRegistrationCancelled,
    NotificationCancelled,
    NotificationRequested,
)

from tsunagu_events.domain.model import Event, local_time

# (label, how long before the start): the day before, and one hour before.
REMINDERS: tuple[tuple[str, timedelta], ...] = (("1d", timedelta(days=1)), ("1h", timedelta(hours=1)))


def reminder_intent_id(event_id: str, registration_id: str, label: str) -> str:
    """Deterministic, so a retried write never asks for the same reminder twice."""
    return f"event-reminder:{event_id}:{registration_id}:{label}"


def reminder_schedule(starts_at: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """The reminders still ahead of `now` (one whose time has passed is not sent late)."""
    return [(label, starts_at - before) for label, before in REMINDERS if starts_at - before > now]


def pending_reminder_ids(event: Event, registration_id: str, issued: list[str], now: datetime) -> list[str]:
    """Of the reminders issued for a seat, those not yet due."""
    due_later = {reminder_intent_id(event.event_id, registration_id, label) for label, _ in
                 reminder_schedule(event.starts_at, now)}
    return [intent for intent in issued if intent in due_later]


def event_variables(event: Event) -> dict[str, Any]:
    """What a message about the event says: title, start in the event's zone (and UTC), place."""
    local = local_time(event.starts_at, event.time_zone)
    return {
        "event_id": event.event_id,
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "starts_at_local": local.isoformat(),
        "starts_at_text": local.strftime("%Y-%m-%d %H:%M ") + event.time_zone,
        "time_zone": event.time_zone,
        "venue": event.venue,
        "online_url": event.online_url,
    }


def published(event: Event) -> EventPublished:
    return EventPublished(
        event_id=event.event_id, kind=event.kind, title=event.title, starts_at=event.starts_at,
        time_zone=event.time_zone, venue=event.venue, online_url=event.online_url, capacity=event.capacity,
        company_ids=event.company_ids, published_at=event.published_at,
    )


def registered(event: Event, *, registration_id: str, candidate_id: str, status: str, now: datetime) -> EventRegistered:
    return EventRegistered(
        event_id=event.event_id, registration_id=registration_id, candidate_id=candidate_id, status=status,
        registered_at=now, title=event.title, starts_at=event.starts_at, time_zone=event.time_zone,
        venue=event.venue, online_url=event.online_url,
    )


def reminders(event: Event, *, registration_id: str, candidate_id: str, now: datetime) -> list[NotificationRequested]:
    """One intent per reminder still ahead, each held back by notify until its time."""
    variables = event_variables(event)
    return [
        NotificationRequested(
            intent_id=reminder_intent_id(event.event_id, registration_id, label),
            recipient_id=candidate_id, template="event_reminder", category="transactional",
            variables={**variables, "reminder": label}, not_before=not_before, requested_at=now,
        )
        for label, not_before in reminder_schedule(event.starts_at, now)
    ]


def seat_given(event: Event, *, registration_id: str, candidate_id: str, status: str, now: datetime
               ) -> tuple[list[DomainEvent], list[str]]:
    """A seat taken (registered or promoted): the events to emit, and the reminder ids issued."""
    reminder_events = reminders(event, registration_id=registration_id, candidate_id=candidate_id, now=now)
    facts = [registered(event, registration_id=registration_id, candidate_id=candidate_id, status=status, now=now)]
    return [*facts, *reminder_events], [r.intent_id for r in reminder_events]


def place_given_up(event: Event, *, registration_id: str, reason: str, now: datetime) -> list[DomainEvent]:
    """A seat or waitlist place given up, and its not-yet-due reminders called off."""
    seat = event.seats.get(registration_id)
    candidate_id = seat.candidate_id if seat else event.waitlist[registration_id].candidate_id
    facts: list[DomainEvent] = [EventRegistrationCancelled(
        event_id=event.event_id, registration_id=registration_id, candidate_id=candidate_id, reason=reason,
        held_seat=seat is not None, cancelled_at=now,
    )]
    if seat:
        facts += reminders_called_off(event, registration_id=registration_id, reason=reason, now=now)
    return facts


def reminders_called_off(event: Event, *, registration_id: str, reason: str, now: datetime
                         ) -> list[NotificationCancelled]:
    seat = event.seats[registration_id]
    pending = pending_reminder_ids(event, registration_id, seat.reminder_ids, now)
    if not pending:
        return []
    return [NotificationCancelled(intent_ids=pending, recipient_id=seat.candidate_id, reason=reason,
                                  cancelled_at=now)]


def event_cancelled(event: Event, *, reason: str | None, now: datetime) -> list[DomainEvent]:
    """EventCancelled, a message to every registrant, and their pending reminders called off."""
    variables = {**event_variables(event), "reason": reason}
    facts: list[DomainEvent] = [EventCancelled(
        event_id=event.event_id, reason=reason, candidate_ids=event.candidate_ids(), cancelled_at=now,
    )]
    for registration_id in [*event.seats, *event.waitlist]:
        holder = event.seats.get(registration_id) or event.waitlist[registration_id]
        facts.append(NotificationRequested(
            intent_id=f"event-cancelled:{event.event_id}:{registration_id}", recipient_id=holder.candidate_id,
            template="event_cancelled", category="transactional", variables=variables, requested_at=now,
        ))
        if registration_id in event.seats:
            facts += reminders_called_off(event, registration_id=registration_id, reason="event_cancelled", now=now)
    return facts
