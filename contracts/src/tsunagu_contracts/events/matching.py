"""Events of the events service: matching events and info sessions (topic events.events)."""

from datetime import datetime
from typing import Literal

from tsunagu_contracts.events.base import DomainEvent, event

# The topic (Tsunagu's topic registry names the same; a test checks they agree).
EVENTS_EVENTS = "events.events"


@event(EVENTS_EVENTS, "event_id")
class EventPublished(DomainEvent):
    event_id: str
    kind: Literal["matching_event", "info_session"]
    title: str
    starts_at: datetime
    time_zone: str
    venue: str | None = None
    online_url: str | None = None
    capacity: int
    company_ids: list[str] = []
    published_at: datetime


@event(EVENTS_EVENTS, "event_id")
class EventRegistered(DomainEvent):
    event_id: str
    registration_id: str
    candidate_id: str
    status: Literal["registered", "waitlisted", "promoted"]
    registered_at: datetime
    # What notify needs to word a confirmation or reminder without asking the events service.
    title: str | None = None
    starts_at: datetime | None = None
    time_zone: str | None = None
    venue: str | None = None
    online_url: str | None = None


@event(EVENTS_EVENTS, "event_id")
class EventCancelled(DomainEvent):
    event_id: str
    reason: str | None = None
    # Everyone registered or waitlisted when it was cancelled, so notify can tell them.
    candidate_ids: list[str] = []
    cancelled_at: datetime


@event(EVENTS_EVENTS, "event_id")
class MutualInterestMatched(DomainEvent):
    """Both sides marked interest at an event: the company may open a thread without a scout."""

    event_id: str
    company_id: str
    candidate_id: str
    matched_at: datetime


@event(EVENTS_EVENTS, "event_id")
class EventRegistrationCancelled(DomainEvent):
    """A student's seat or waitlist place was given up (by her, or erased with her profile)."""

    event_id: str
    registration_id: str
    candidate_id: str
    reason: Literal["cancelled_by_candidate", "profile_deleted"] = "cancelled_by_candidate"
    # True when she held a seat (not only a waitlist place).
    held_seat: bool = True
    cancelled_at: datetime


@event(EVENTS_EVENTS, "event_id")
class EventAttended(DomainEvent):
    """A registered student checked in at the event with her one-time code."""

    event_id: str
    registration_id: str
    candidate_id: str
    attended_at: datetime
