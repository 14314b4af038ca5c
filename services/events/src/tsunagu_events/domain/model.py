"""Matching events, info sessions and their seat ledger: pure data and rules, no I/O.

An event keeps its own seat ledger (who holds a seat, who waits) so that taking,
freeing and handing on a seat are each one atomic single-document write.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, HttpUrl, field_validator, model_validator
from tsunagu_shared.moments import AwareMoment

Kind = Literal["matching_event", "info_session"]
EventStatus = Literal["published", "cancelled"]
RegistrationStatus = Literal["registered", "waitlisted", "cancelled"]

# Check-in opens this long before the start and stays open this long after it.
CHECK_IN_OPENS = timedelta(hours=2)
CHECK_IN_CLOSES = timedelta(hours=12)


class DomainError(Exception):
    """A rule of the domain refused the request; the message says which."""


class NotAllowed(DomainError):
    """The caller may not do this to this event."""


class RegistrationClosed(DomainError):
    pass


class AlreadyRegistered(DomainError):
    pass


class NotRegistered(DomainError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who asks: role, id, and the company of a recruiter."""

    role: str
    subject: str
    company_id: str | None = None


def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name (ValueError when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def local_time(moment: datetime, time_zone: str) -> datetime:
    """The moment on the wall clock of the given zone."""
    return moment.astimezone(zone(time_zone))


class EventCreate(BaseModel):
    """What an organizer gives to publish an event: times with their offset, plus the IANA zone."""

    kind: Kind = "matching_event"
    title: str = Field(min_length=1, max_length=200)
    starts_at: AwareMoment
    time_zone: str = Field(examples=["Asia/Tokyo"])
    venue: str | None = Field(default=None, min_length=1, max_length=300)
    online_url: HttpUrl | None = None
    capacity: int = Field(ge=1, le=10_000, description="seats for students")
    company_ids: list[str] = Field(default_factory=list, max_length=50)
    registration_closes_at: AwareMoment | None = Field(
        default=None, description="deadline for registration; the start time when omitted"
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> "EventCreate":
        if self.venue is None and self.online_url is None:
            raise ValueError("give a venue or an online_url")
        if self.registration_closes_at and self.registration_closes_at > self.starts_at:
            raise ValueError("registration_closes_at must not be after starts_at")
        return self


class Seat(BaseModel):
    """A seat held by one registration; the reminder intents issued for it."""

    candidate_id: str
    seated_at: datetime
    reminder_ids: list[str] = []


class WaitlistPlace(BaseModel):
    candidate_id: str
    joined_at: datetime


class Event(BaseModel):
    """A published matching event or info session, with its seat ledger (keyed by registration id).

    The ledger is versioned: every change is a new version, written by inserting it, so of two
    racing changes decided on the same version exactly one is stored."""

    event_id: str
    kind: Kind
    title: str
    starts_at: datetime
    time_zone: str
    venue: str | None = None
    online_url: str | None = None
    capacity: int
    company_ids: list[str] = []
    organizer_company_id: str | None = None
    registration_closes_at: datetime
    status: EventStatus = "published"
    published_by: str
    published_at: datetime
    cancelled_at: datetime | None = None
    # The ledger: its version, who holds a seat, who waits, and registrations given up (id -> reason).
    version: int = 0
    seats: dict[str, Seat] = {}
    waitlist: dict[str, WaitlistPlace] = {}
    left: dict[str, str] = {}

    @property
    def seats_taken(self) -> int:
        return len(self.seats)

    @property
    def waitlist_count(self) -> int:
        return len(self.waitlist)

    def candidate_ids(self) -> list[str]:
        """Everyone holding a seat or waiting, seat holders first."""
        return [s.candidate_id for s in self.seats.values()] + [w.candidate_id for w in self.waitlist.values()]

    def hosts(self, company_id: str | None) -> bool:
        """True when that company organizes or takes part in the event."""
        return company_id is not None and (company_id == self.organizer_company_id or company_id in self.company_ids)


def new_event(*, event_id: str, data: EventCreate, actor: Actor, now: datetime) -> Event:
    """The event an admin or a recruiter publishes; recruiters publish only their own info sessions."""
    if data.starts_at <= now:
        raise DomainError("starts_at must be in the future")
    organizer = None
    company_ids = list(dict.fromkeys(data.company_ids))
    if actor.role == "recruiter":
        if data.kind != "info_session":
            raise NotAllowed("a recruiter publishes only info sessions of his own company")
        if actor.company_id is None:
            raise NotAllowed("a recruiter's token names no company")
        organizer, company_ids = actor.company_id, [actor.company_id]
    elif actor.role != "admin":
        raise NotAllowed("only admins and recruiters publish events")
    starts_at = data.starts_at.astimezone(UTC)
    closes = (data.registration_closes_at or data.starts_at).astimezone(UTC)
    return Event(
        event_id=event_id,
        kind=data.kind,
        title=data.title,
        starts_at=starts_at,
        time_zone=data.time_zone,
        venue=data.venue,
        online_url=str(data.online_url) if data.online_url else None,
        capacity=data.capacity,
        company_ids=company_ids,
        organizer_company_id=organizer,
        registration_closes_at=closes,
        published_by=actor.subject,
        published_at=now,
    )


def may_manage(event: Event, actor: Actor) -> None:
    """Admins manage every event; a recruiter only his company's own info session."""
    if actor.role == "admin":
        return
    if actor.role == "recruiter" and event.organizer_company_id and event.organizer_company_id == actor.company_id:
        return
    raise NotAllowed("only an admin or the organizing company may manage this event")


def may_view_attendance(event: Event, actor: Actor) -> None:
    """Staff of the event: admins and recruiters of a participating company."""
    if actor.role == "admin" or (actor.role == "recruiter" and event.hosts(actor.company_id)):
        return
    raise NotAllowed("only the event's staff may do this")


def ensure_registration_open(event: Event, now: datetime) -> None:
    if event.status != "published":
        raise RegistrationClosed("the event was cancelled")
    if now >= event.registration_closes_at:
        raise RegistrationClosed("registration for this event has closed")


def ensure_cancellable(event: Event, now: datetime) -> None:
    """A student may give up her place until the event starts."""
    if event.status == "published" and now >= event.starts_at:
        raise DomainError("the event has already started")


def ensure_check_in_open(event: Event, now: datetime) -> None:
    if event.status != "published":
        raise DomainError("the event was cancelled")
    if not event.starts_at - CHECK_IN_OPENS <= now <= event.starts_at + CHECK_IN_CLOSES:
        raise DomainError("check-in is open from 2 hours before the start until 12 hours after it")


def is_upcoming(event: Event, now: datetime) -> bool:
    """Still ahead and not cancelled: a freed seat goes to the waitlist."""
    return event.status == "published" and now < event.starts_at


def next_in_line(event: Event) -> str | None:
    """The registration id first on the waitlist (earliest joined; ties by id)."""
    if not event.waitlist:
        return None
    return min(event.waitlist, key=lambda rid: (event.waitlist[rid].joined_at, rid))


def waitlist_position(event: Event, registration_id: str) -> int | None:
    """1-based place in the waitlist, or None when not waiting."""
    order = sorted(event.waitlist, key=lambda rid: (event.waitlist[rid].joined_at, rid))
    return order.index(registration_id) + 1 if registration_id in event.waitlist else None


def status_of(event: Event, registration_id: str) -> RegistrationStatus:
    if registration_id in event.seats:
        return "registered"
    if registration_id in event.waitlist:
        return "waitlisted"
    return "cancelled"


class Registration(BaseModel):
    """One student's registration for one event and her one-time check-in code.

    Whether she holds a seat, waits or gave up is kept in the event's ledger, not here."""

    registration_id: str
    event_id: str
    candidate_id: str
    check_in_code: str
    created_at: datetime
    attended_at: datetime | None = None


class Interest(BaseModel):
    """Interest between one company and one student at one event; matched once both sides marked it."""

    event_id: str
    company_id: str
    candidate_id: str
    matched_at: datetime | None = None


def side_of(role: str) -> str:
    """Whose interest a mark is: the student's, or her company's (whoever of it marked: a recruiter, staff)."""
    return "candidate" if role == "candidate" else "company"


def other_side(side: str) -> str:
    """Interest is mutual when the other side has marked it too."""
    return "company" if side == "candidate" else "candidate"


def ensure_may_mark_interest(event: Event, registration: Registration | None, company_id: str) -> None:
    """Interest is marked at the event: the student checked in and the company takes part."""
    if event.status != "published":
        raise DomainError("the event was cancelled")
    if not event.hosts(company_id):
        raise NotAllowed("that company does not take part in this event")
    if registration is None or registration.registration_id not in event.seats or registration.attended_at is None:
        raise DomainError("interest is marked between companies and students who checked in at the event")
