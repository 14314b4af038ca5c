"""Interview proposals: the company offers slots, the student picks one or asks for others.

Times are stored in UTC; the candidate sees each slot also in her own zone.
States: proposed -> scheduled (she picked) | alternatives_requested (she asked
for other times); proposed/alternatives_requested/scheduled -> proposed (the
company offers new slots) | cancelled (either side).
"""

from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator
from tsunagu_shared.moments import Moment

InterviewStatus = Literal["proposed", "alternatives_requested", "scheduled", "cancelled"]
OPEN_STATUSES = ("proposed", "alternatives_requested", "scheduled")
MAX_SLOTS = 5
# How long she has to pick a time when the company names no deadline (cut at the last slot).
DEFAULT_RESPONSE_WINDOW = timedelta(days=3)


class InterviewRefused(Exception):
    """The interview is not in a state that allows this; the message says why."""


def zone(name: str) -> ZoneInfo:
    """A known IANA time zone, or ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Tokyo)") from None


class SlotProposal(BaseModel):
    """One proposed time: an instant with its offset (naive times are refused)."""

    starts_at: Moment
    duration_minutes: int = Field(default=60, ge=15, le=480)

    @field_validator("starts_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("starts_at must carry a time zone offset, e.g. 2026-12-01T10:00:00+09:00")
        return value.astimezone(UTC)


class Slot(BaseModel):
    slot_id: str
    starts_at: datetime
    duration_minutes: int


class Interview(BaseModel):
    interview_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    status: InterviewStatus
    slots: list[Slot]
    location: str | None = None
    candidate_time_zone: str = "Asia/Tokyo"
    starts_at: datetime | None = None
    duration_minutes: int | None = None
    note: str | None = None
    # The open request to pick a time: which proposal, and by when (None once she picked).
    proposal_id: str | None = None
    respond_by: datetime | None = None
    updated_at: datetime


def check_slots(slots: list[SlotProposal], *, now: datetime) -> None:
    """At least one, at most MAX_SLOTS, all in the future, no duplicates."""
    if not slots:
        raise InterviewRefused("slots: propose at least one time")
    if len(slots) > MAX_SLOTS:
        raise InterviewRefused(f"slots: at most {MAX_SLOTS} times at once")
    if any(s.starts_at <= now for s in slots):
        raise InterviewRefused("slots: every proposed time must be in the future")
    if len({s.starts_at for s in slots}) != len(slots):
        raise InterviewRefused("slots: the same time is proposed twice")


def response_deadline(slots: list[SlotProposal], respond_by: datetime | None, *, now: datetime) -> datetime:
    """By when she must pick a time: the company's deadline, or DEFAULT_RESPONSE_WINDOW from now,
    never after the last proposed slot starts (there is nothing left to pick after it)."""
    last_start = max(s.starts_at for s in slots)
    if respond_by is None:
        return min(now + DEFAULT_RESPONSE_WINDOW, last_start)
    if respond_by.tzinfo is None or respond_by.utcoffset() is None:
        raise InterviewRefused("respond_by: must carry a time zone offset")
    respond_by = respond_by.astimezone(UTC)
    if respond_by <= now:
        raise InterviewRefused("respond_by: the deadline must be in the future")
    if respond_by > last_start:
        raise InterviewRefused("respond_by: the deadline must not be after the last proposed time starts")
    return respond_by


def choose(interview: Interview, slot_id: str, *, now: datetime) -> Slot:
    """The slot she picks; refused unless the interview is proposed and the slot still ahead."""
    if interview.status != "proposed":
        raise InterviewRefused(f"this interview is {interview.status}; there is nothing to pick")
    slot = next((s for s in interview.slots if s.slot_id == slot_id), None)
    if slot is None:
        raise InterviewRefused(f"slot_id: no slot {slot_id!r} in this proposal")
    if slot.starts_at <= now:
        raise InterviewRefused("slot_id: this time has already passed; ask for other times")
    return slot


def check_open(interview: Interview, action: str) -> None:
    if interview.status not in OPEN_STATUSES:
        raise InterviewRefused(f"this interview is {interview.status}; it cannot be {action}")


def check_may_reschedule(interview: Interview) -> None:
    if interview.status != "scheduled":
        raise InterviewRefused(f"only a scheduled interview can be rescheduled (this one is {interview.status})")


def local_time(instant: datetime, time_zone: str) -> str:
    """The instant written in the given zone, ISO 8601 with its offset."""
    return instant.astimezone(zone(time_zone)).isoformat()


def ends_at(starts_at: datetime, duration_minutes: int) -> datetime:
    return starts_at + timedelta(minutes=duration_minutes)
