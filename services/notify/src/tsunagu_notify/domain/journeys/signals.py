"""What a domain event means for journeys (pure): a signal that may start or stop sequences.

Internal facts of notify (LINE follow, unfollow, link, unlink) use the same shape so
the webhooks and the account-linking flow feed journeys exactly like domain events."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from tsunagu_shared.events import (
    CampaignApplicantImported,
    CampaignApplicantResponded,
    CompanyBlocked,
    DomainEvent,
    InterviewCancelled,
    InterviewScheduled,
    InterviewSlotsProposed,
    InterviewTimesRequested,
    MessageSent,
    OfferAccepted,
    OfferDeclined,
    OfferIssued,
    OfferLapsed,
    ProfileDeleted,
)

from tsunagu_notify.domain.intents import local_time

LINE_INSTANCE = "line"
# MessageSent written by the candidate (a recruiter's message is no signal).
CANDIDATE_MESSAGE_SENT = "CandidateMessageSent"


class JourneySignal(BaseModel):
    """kind: the signal name sequences list as trigger or goal; instance ties steps together."""

    model_config = ConfigDict(frozen=True)

    kind: str
    recipient_id: str
    at: datetime
    source_id: str
    instance: str | None = None
    company_id: str | None = None
    deadline: datetime | None = None
    # One request of a repeatable instance (each proposal of one interview): steps per round.
    round: str | None = None
    variables: dict[str, Any] = {}


def signal_for(event: DomainEvent, *, source_id: str) -> JourneySignal | None:
    """The journey signal of a domain event, or None when journeys do not care."""
    kind = type(event).__name__
    match event:
        case OfferIssued():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.issued_at, source_id=source_id,
                                 instance=event.offer_id, company_id=event.company_id, deadline=event.respond_by,
                                 variables={"offer_id": event.offer_id, "company_name": event.company_name,
                                            "respond_by": event.respond_by.date().isoformat()})
        case OfferLapsed():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.lapsed_at, source_id=source_id,
                                 instance=event.offer_id, company_id=event.company_id)
        case OfferAccepted() | OfferDeclined():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=_at(event), source_id=source_id,
                                 instance=event.offer_id, company_id=event.company_id)
        case CampaignApplicantImported():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.imported_at, source_id=source_id,
                                 instance=event.campaign_id, company_id=event.company_id, deadline=event.respond_by,
                                 variables={"campaign_id": event.campaign_id, "company_name": event.company_name,
                                            "share_url": event.share_url})
        case CampaignApplicantResponded():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.responded_at,
                                 source_id=source_id, instance=event.campaign_id, company_id=event.company_id)
    return _interview_or_contact_signal(event, kind, source_id)


def _interview_or_contact_signal(event: DomainEvent, kind: str, source_id: str) -> JourneySignal | None:
    """signal_for, for interviews, her own messages, blocks and deletion."""
    match event:
        case InterviewSlotsProposed():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.proposed_at, source_id=source_id,
                                 instance=event.interview_id, round=event.proposal_id, company_id=event.company_id,
                                 deadline=event.respond_by,
                                 variables={"interview_id": event.interview_id, "company_name": event.company_name,
                                            "share_url": event.respond_url,
                                            "respond_by": event.respond_by.isoformat(),
                                            "respond_by_local": local_time(event.respond_by,
                                                                           event.candidate_time_zone)})
        case InterviewScheduled():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.scheduled_at,
                                 source_id=source_id, instance=event.interview_id, company_id=event.company_id)
        case InterviewCancelled():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.cancelled_at,
                                 source_id=source_id, instance=event.interview_id, company_id=event.company_id)
        case InterviewTimesRequested():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.requested_at,
                                 source_id=source_id, instance=event.interview_id, company_id=event.company_id)
        case MessageSent(sender_role="candidate"):
            # Her own message to the company answers its open requests (scoped to that company).
            return JourneySignal(kind=CANDIDATE_MESSAGE_SENT, recipient_id=event.candidate_id, at=event.sent_at,
                                 source_id=source_id, company_id=event.company_id)
        case CompanyBlocked():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.blocked_at, source_id=source_id,
                                 company_id=event.company_id)
        case ProfileDeleted():
            return JourneySignal(kind=kind, recipient_id=event.candidate_id, at=event.deleted_at, source_id=source_id)
    return None


def line_signal(kind: str, recipient_id: str, at: datetime, source_id: str) -> JourneySignal:
    """LineAccountLinked / LineFollowed / LineUnfollowed / LineAccountUnlinked for her LINE journey."""
    return JourneySignal(kind=kind, recipient_id=recipient_id, at=at, source_id=source_id, instance=LINE_INSTANCE)


def _at(event: OfferAccepted | OfferDeclined) -> datetime:
    return event.accepted_at if isinstance(event, OfferAccepted) else event.declined_at
