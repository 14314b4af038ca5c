"""Events of the profile service (topic profile.events, keyed by candidate id)."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from tsunagu_contracts.events.base import DomainEvent, event

# The topic (Tsunagu's topic registry names the same; a test checks they agree).
PROFILE_EVENTS = "profile.events"

Channel = Literal["email", "sms", "line"]


@event(PROFILE_EVENTS, "candidate_id")
class ProfileCreated(DomainEvent):
    candidate_id: str
    display_name: str
    graduation_year: int | None = None
    school: str | None = None
    industries: list[str] = []
    location: str | None = None
    created_at: datetime
    # What a scout's reason may refer to (recruiters see these on her profile too).
    faculty: str | None = None
    self_pr: str | None = None
    job_types: list[str] = []
    # ISO 639 codes of the languages she gave.
    languages: list[str] = []


@event(PROFILE_EVENTS, "candidate_id")
class ProfileUpdated(DomainEvent):
    candidate_id: str
    changed_fields: list[str]
    # New values of the changed fields that other services keep (never the photo bytes).
    changes: dict[str, Any] = {}
    updated_at: datetime


@event(PROFILE_EVENTS, "candidate_id")
class ProfileDeleted(DomainEvent):
    """Every service erases the candidate's personal data when it sees this."""

    candidate_id: str
    deleted_at: datetime


class SelectionProgressEntry(BaseModel):
    company_name: str
    stage: str
    date: date
    outcome: str | None = None


@event(PROFILE_EVENTS, "candidate_id")
class SelectionProgressUpdated(DomainEvent):
    candidate_id: str
    entries: list[SelectionProgressEntry]
    updated_at: datetime


class ChannelConsent(BaseModel):
    consented: bool
    consented_at: datetime | None = None
    source: str | None = None


@event(PROFILE_EVENTS, "candidate_id")
class ContactPreferencesChanged(DomainEvent):
    """The recipient directory of notify is built from this event."""

    candidate_id: str
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    channels: dict[Channel, ChannelConsent] = {}
    preferred_channel: Channel | None = None
    time_zone: str = "Asia/Tokyo"
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "08:00"
    locale: str = "ja"
    changed_at: datetime
    # She asked to stop all contact: every channel's consent is withdrawn with it.
    stop_all: bool = False
