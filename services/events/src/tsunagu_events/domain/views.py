"""What the API returns: events with their times in UTC and in their own zone, registrations, interests."""

from datetime import datetime

from pydantic import BaseModel, Field

from tsunagu_events.domain.model import (
    Event,
    EventStatus,
    Interest,
    Kind,
    Registration,
    RegistrationStatus,
    local_time,
    status_of,
    waitlist_position,
)


class EventPublic(BaseModel):
    """An event as everyone signed in sees it (never who registered)."""

    event_id: str
    kind: Kind
    title: str
    starts_at: datetime = Field(description="UTC")
    starts_at_local: datetime = Field(description="the same moment with the offset of time_zone")
    time_zone: str
    registration_closes_at: datetime = Field(description="UTC")
    venue: str | None
    online_url: str | None
    capacity: int
    seats_taken: int
    seats_left: int
    waitlist_count: int
    company_ids: list[str]
    organizer_company_id: str | None
    status: EventStatus
    published_at: datetime
    cancelled_at: datetime | None

    @classmethod
    def of(cls, event: Event) -> "EventPublic":
        return cls(
            **event.model_dump(exclude={"seats", "waitlist", "left", "version", "published_by"}),
            starts_at_local=local_time(event.starts_at, event.time_zone),
            seats_taken=event.seats_taken,
            seats_left=max(event.capacity - event.seats_taken, 0),
            waitlist_count=event.waitlist_count,
        )


class RegistrationPublic(BaseModel):
    """A student's own registration: her status, waitlist place and one-time check-in code (for a QR)."""

    registration_id: str
    event_id: str
    status: RegistrationStatus
    waitlist_position: int | None
    check_in_code: str | None
    attended_at: datetime | None
    event: EventPublic

    @classmethod
    def of(cls, event: Event, registration: Registration) -> "RegistrationPublic":
        status = status_of(event, registration.registration_id)
        return cls(
            registration_id=registration.registration_id,
            event_id=event.event_id,
            status=status,
            waitlist_position=waitlist_position(event, registration.registration_id),
            check_in_code=registration.check_in_code if status == "registered" else None,
            attended_at=registration.attended_at,
            event=EventPublic.of(event),
        )


class CheckIn(BaseModel):
    code: str = Field(min_length=1, max_length=100, description="the registration's one-time code (from its QR)")


class CheckInPublic(BaseModel):
    registration_id: str
    candidate_id: str
    attended_at: datetime


class AttendanceEntry(BaseModel):
    registration_id: str
    candidate_id: str
    attended: bool
    attended_at: datetime | None


class AttendancePublic(BaseModel):
    """Seat holders and whether they checked in; after the event the others are the no-shows."""

    event_id: str
    seats_taken: int
    attended: int
    not_attended: int
    entries: list[AttendanceEntry]

    @classmethod
    def of(cls, event: Event, registrations: list[Registration]) -> "AttendancePublic":
        entries = [AttendanceEntry(registration_id=r.registration_id, candidate_id=r.candidate_id,
                                   attended=r.attended_at is not None, attended_at=r.attended_at)
                   for r in registrations]
        came = sum(e.attended for e in entries)
        return cls(event_id=event.event_id, seats_taken=event.seats_taken, attended=came,
                   not_attended=len(entries) - came, entries=entries)


class InterestMark(BaseModel):
    """A student names a company of the event; a recruiter names a student (his company is implied)."""

    company_id: str | None = Field(default=None, min_length=1, max_length=100)
    candidate_id: str | None = Field(default=None, min_length=1, max_length=100)


class InterestPublic(BaseModel):
    event_id: str
    company_id: str
    candidate_id: str
    matched: bool
    matched_at: datetime | None

    @classmethod
    def of(cls, interest: Interest) -> "InterestPublic":
        return cls(event_id=interest.event_id, company_id=interest.company_id, candidate_id=interest.candidate_id,
                   matched=interest.matched_at is not None, matched_at=interest.matched_at)


class EventCancel(BaseModel):
    reason: str | None = Field(default=None, max_length=500)
