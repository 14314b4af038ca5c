"""Shapes of the HTTP API (XCreate for input, XPublic for output)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from tsunagu_shared.moments import Moment

from tsunagu_messaging.domain.interviews import Interview, SlotProposal, local_time, zone
from tsunagu_messaging.domain.offers import Offer, OfferStatus, effective_status
from tsunagu_messaging.domain.threads import Side, Thread


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThreadOpen(Strict):
    company_id: str | None = None
    candidate_id: str | None = None


class MessageCreate(Strict):
    body: str = Field(max_length=20_000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)


class MessagePublic(BaseModel):
    message_id: str
    thread_id: str
    sender_role: Side
    sender_id: str
    body: str = Field(description="plain text, HTML-escaped; empty when erased")
    attachment_ids: list[str]
    sent_at: datetime
    read_at: datetime | None
    erased: bool


class ThreadPublic(BaseModel):
    thread_id: str
    company_id: str
    candidate_id: str
    company_name: str | None
    recruiter_name: str | None
    opened_by: str
    opened_at: datetime
    status: str
    closed_reason: str | None
    blocked_by_candidate: bool
    scout_declined: bool
    archived: bool
    unread: int
    last_message_at: datetime | None

    @classmethod
    def of(cls, thread: Thread, side: Side) -> "ThreadPublic":
        mine = side == "candidate"
        return cls(**thread.model_dump(),
                   archived=thread.archived_by_candidate if mine else thread.archived_by_company,
                   unread=thread.unread_candidate if mine else thread.unread_company)


class ReadReceipt(BaseModel):
    marked_read: int


class AttachmentPublic(BaseModel):
    attachment_id: str
    thread_id: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


_RESPOND_BY = ("by when she must pick a time (with its offset); default: 3 days from now, "
               "never after the last proposed time")


class InterviewCreate(Strict):
    slots: list[SlotProposal] = Field(min_length=1, max_length=5)
    location: str | None = Field(default=None, max_length=500)
    respond_by: Moment | None = Field(default=None, description=_RESPOND_BY)

    @field_validator("respond_by")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _aware_deadline(value)


class NewSlots(Strict):
    slots: list[SlotProposal] = Field(min_length=1, max_length=5)
    note: str | None = Field(default=None, max_length=1000)
    respond_by: Moment | None = Field(default=None, description=_RESPOND_BY)

    @field_validator("respond_by")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _aware_deadline(value)


def _aware_deadline(value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError("respond_by must carry a time zone offset, e.g. 2026-12-01T18:00:00+09:00")
    return value


class SlotChoice(Strict):
    slot_id: str
    time_zone: str | None = Field(default=None, description="her IANA zone; default: the one from her profile")

    @field_validator("time_zone")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value


class Note(Strict):
    note: str | None = Field(default=None, max_length=1000)


class SlotPublic(BaseModel):
    slot_id: str
    starts_at: datetime
    starts_at_local: str
    duration_minutes: int


class InterviewPublic(BaseModel):
    interview_id: str
    thread_id: str
    status: str
    location: str | None
    candidate_time_zone: str
    slots: list[SlotPublic]
    starts_at: datetime | None
    starts_at_local: str | None
    duration_minutes: int | None
    note: str | None
    respond_by: datetime | None = Field(None, description="while proposed: by when she must pick a time")

    @classmethod
    def of(cls, interview: Interview) -> "InterviewPublic":
        tz = interview.candidate_time_zone
        slots = [SlotPublic(**s.model_dump(), starts_at_local=local_time(s.starts_at, tz)) for s in interview.slots]
        local = local_time(interview.starts_at, tz) if interview.starts_at else None
        return cls(**interview.model_dump(exclude={"slots"}), slots=slots, starts_at_local=local)


class OfferCreate(Strict):
    terms: str = Field(min_length=1, max_length=10_000)
    respond_by: Moment

    @field_validator("respond_by")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("respond_by must carry a time zone offset")
        return value


class OfferDecline(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class OfferPublic(BaseModel):
    offer_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    terms: str
    respond_by: datetime
    status: OfferStatus
    deadline_passed: bool
    issued_at: datetime
    decline_reason: str | None
    responded_at: datetime | None

    @classmethod
    def of(cls, offer: Offer, *, now: datetime) -> "OfferPublic":
        status = effective_status(offer, now=now)
        return cls(**offer.model_dump(exclude={"status"}), status=status,
                   deadline_passed=offer.respond_by <= now)


class ContactAnswer(Strict):
    channel: Literal["email", "sms", "line"]


class ContactQuestionPublic(BaseModel):
    question_id: str
    thread_id: str
    asked_at: datetime
    answered_channel: str | None
    answered_at: datetime | None
