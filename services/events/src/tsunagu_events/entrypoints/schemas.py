"""The request and response models of the events API: registrations, check-ins, attendance, interests
(an event itself is answered as `domain.views.EventPublic`, the shape its list index stores)."""

from datetime import datetime

from pydantic import BaseModel, Field

from tsunagu_events.domain.model import (
    Event,
    Interest,
    Registration,
    RegistrationStatus,
    status_of,
    waitlist_position,
)
from tsunagu_events.domain.views import EventPublic


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
