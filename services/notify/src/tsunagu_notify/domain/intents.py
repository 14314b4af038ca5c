"""Which domain events should reach a person, and as what intent (pure mapping).

Only candidates have a directory entry: recruiters are told inside the console, so
events addressed to a recruiter (ReplyReceived) produce no intent; they reset the
company's non-response streak instead (see handlers).
"""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tsunagu_shared.events import (
    CampaignApplicantImported,
    DomainEvent,
    EventCancelled,
    InterviewCancelled,
    InterviewRescheduled,
    InterviewScheduled,
    InterviewSlotsProposed,
    NotificationRequested,
    OfferIssued,
    OfferLapsed,
    ScoutSent,
)

from tsunagu_notify.domain.model import Intent

_NAMESPACE = uuid.UUID("5b8f6a52-6c1e-4f7e-9a44-3f1e2d0c9b71")


def intent_id(source_event_id: str, recipient_id: str, template: str) -> str:
    """Deterministic: the same event seen twice yields the same intent (dedupe layer 1)."""
    return str(uuid.uuid5(_NAMESPACE, f"{source_event_id}|{recipient_id}|{template}"))


def local_time(moment: datetime, tz: str | None) -> str:
    """The moment as she reads it: in her time zone (Japan when she has none)."""
    return _local(moment, tz or "Asia/Tokyo")


def _local(moment: datetime, tz: str) -> str:
    try:
        return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M (%Z)")
    except Exception:
        return moment.isoformat()


def intents_for(event: DomainEvent, *, source_event_id: str, now: datetime) -> list[NotificationRequested]:
    """The intents one domain event gives rise to (empty when nobody is to be told)."""

    def intent(recipient: str, template: str, category: str, company: str | None,
               **variables: Any) -> NotificationRequested:
        company_name = getattr(event, "company_name", None)
        if company_name and "company_name" not in variables:
            variables["company_name"] = company_name
        return NotificationRequested(
            intent_id=intent_id(source_event_id, recipient, template), recipient_id=recipient, template=template,
            category=category, company_id=company, variables=variables, source_event_id=source_event_id,
            requested_at=now,
        )

    match event:
        case ScoutSent():
            return [intent(event.candidate_id, "scout_received", "outreach", event.company_id,
                           company_name=event.company_name, recruiter_name=event.recruiter_name,
                           reason=event.reason, scout_id=event.scout_id)]
        case CampaignApplicantImported():
            return [intent(event.candidate_id, "campaign_message", "outreach", event.company_id,
                           company_name=event.company_name, share_url=event.share_url,
                           campaign_id=event.campaign_id)]
        case InterviewScheduled():
            return [intent(event.candidate_id, "interview_scheduled", "critical", event.company_id,
                           starts_at_local=_local(event.starts_at, event.candidate_time_zone),
                           interview_id=event.interview_id)]
        case InterviewSlotsProposed():
            return [intent(event.candidate_id, "interview_slots_proposed", "transactional", event.company_id,
                           respond_by_local=local_time(event.respond_by, event.candidate_time_zone),
                           share_url=event.respond_url, interview_id=event.interview_id)]
        case InterviewRescheduled():
            return [intent(event.candidate_id, "interview_rescheduled", "critical", event.company_id,
                           previous_starts_at_local=_local(event.previous_starts_at, "Asia/Tokyo"),
                           interview_id=event.interview_id)]
        case InterviewCancelled():
            return [intent(event.candidate_id, "interview_cancelled", "critical", event.company_id,
                           interview_id=event.interview_id)]
        case OfferIssued():
            return [intent(event.candidate_id, "offer_issued", "transactional", event.company_id,
                           respond_by=event.respond_by.date().isoformat(), offer_id=event.offer_id)]
        case OfferLapsed():  # after-care ends; she is told the offer can no longer be accepted
            return [intent(event.candidate_id, "offer_lapsed", "transactional", event.company_id,
                           respond_by_local=local_time(event.respond_by, None), offer_id=event.offer_id)]
        case EventCancelled():
            return [intent(c, "event_cancelled", "transactional", None, event_id=event.event_id)
                    for c in dict.fromkeys(event.candidate_ids)]
    return []


def intent_from(event: NotificationRequested) -> Intent:
    """The intent the policy decides for a request on notify.intents (ours or another service's)."""
    return Intent(
        intent_id=event.intent_id, recipient_id=event.recipient_id, template=event.template,
        category=event.category, company_id=event.company_id, variables=event.variables, channel=event.channel,
        not_before=event.not_before, automatic=event.template.endswith("_reminder"),
        requested_at=event.requested_at,
    )
