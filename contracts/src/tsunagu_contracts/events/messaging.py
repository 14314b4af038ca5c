"""Events of the messaging service (topic messaging.events, keyed by thread id)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from tsunagu_contracts.events.base import DomainEvent, event

# The topic (Tsunagu's topic registry names the same; a test checks they agree).
MESSAGING_EVENTS = "messaging.events"


@event(MESSAGING_EVENTS, "thread_id")
class MessageSent(DomainEvent):
    thread_id: str
    message_id: str
    company_id: str
    candidate_id: str
    sender_role: Literal["candidate", "recruiter"]
    sender_id: str
    sent_at: datetime
    company_name: str | None = None


@event(MESSAGING_EVENTS, "thread_id")
class ReplyReceived(DomainEvent):
    """The candidate's first reply in a thread opened by a scout."""

    thread_id: str
    message_id: str
    company_id: str
    candidate_id: str
    scout_id: str | None = None
    replied_at: datetime
    company_name: str | None = None


@event(MESSAGING_EVENTS, "thread_id")
class InterviewScheduled(DomainEvent):
    interview_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    starts_at: datetime
    candidate_time_zone: str
    duration_minutes: int = 60
    location: str | None = None
    scheduled_at: datetime
    # The same instant as starts_at, written in the candidate's zone (ISO 8601 with offset).
    starts_at_local: str | None = None
    company_name: str | None = None
    recruiter_name: str | None = None


class ProposedSlot(BaseModel):
    """One interview time the company offers (UTC instant)."""

    slot_id: str
    starts_at: datetime
    duration_minutes: int = 60


@event(MESSAGING_EVENTS, "thread_id")
class InterviewSlotsProposed(DomainEvent):
    """The company asked the candidate to pick an interview time before `respond_by`.

    Published for the first proposal and for every later set of new times (each with its
    own `proposal_id`); InterviewScheduled (she picked), InterviewCancelled or a newer
    proposal for the same interview ends the request."""

    interview_id: str
    proposal_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    slots: list[ProposedSlot]
    respond_by: datetime
    proposed_at: datetime
    candidate_time_zone: str | None = None
    location: str | None = None
    # Where she picks a time (the thread in the candidate's web app).
    respond_url: str | None = None
    company_name: str | None = None
    recruiter_name: str | None = None


@event(MESSAGING_EVENTS, "thread_id")
class InterviewTimesRequested(DomainEvent):
    """The candidate answered a proposal by asking for other times instead of picking one
    (on an interview already scheduled, InterviewRescheduled says it instead)."""

    interview_id: str
    proposal_id: str | None = None
    thread_id: str
    company_id: str
    candidate_id: str
    note: str | None = None
    requested_at: datetime


@event(MESSAGING_EVENTS, "thread_id")
class OfferIssued(DomainEvent):
    offer_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    respond_by: datetime
    issued_at: datetime
    company_name: str | None = None
    recruiter_name: str | None = None


@event(MESSAGING_EVENTS, "thread_id")
class OfferAccepted(DomainEvent):
    offer_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    accepted_at: datetime


@event(MESSAGING_EVENTS, "thread_id")
class OfferDeclined(DomainEvent):
    offer_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    reason: str | None = None
    declined_at: datetime


@event(MESSAGING_EVENTS, "thread_id")
class OfferLapsed(DomainEvent):
    """The offer's response deadline passed without an answer; it can no longer be accepted."""

    offer_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    respond_by: datetime
    lapsed_at: datetime


@event(MESSAGING_EVENTS, "thread_id")
class InterviewRescheduled(DomainEvent):
    """A scheduled interview is off its time: new slots are proposed or asked for."""

    interview_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    previous_starts_at: datetime
    requested_by: Literal["candidate", "recruiter"]
    reason: str | None = None
    rescheduled_at: datetime


@event(MESSAGING_EVENTS, "thread_id")
class InterviewCancelled(DomainEvent):
    """An interview (proposed or scheduled) was called off; reminders for it stop."""

    interview_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    starts_at: datetime | None = None
    cancelled_by: Literal["candidate", "recruiter"]
    reason: str | None = None
    cancelled_at: datetime


@event(MESSAGING_EVENTS, "thread_id")
class ContactPreferenceAsked(DomainEvent):
    """A company asked the candidate how she prefers to be contacted."""

    question_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    company_name: str | None = None
    asked_at: datetime
