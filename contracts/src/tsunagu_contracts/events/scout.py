"""Events of the scout service (topic scout.events)."""

from datetime import datetime
from typing import Literal

from tsunagu_contracts.events.base import DomainEvent, event

# The topic (Tsunagu's topic registry names the same; a test checks they agree).
SCOUT_EVENTS = "scout.events"


@event(SCOUT_EVENTS, "company_id")
class CompanyStatusChanged(DomainEvent):
    company_id: str
    name: str
    status: Literal["active", "inactive"]
    change: Literal["joined", "plan_changed", "left", "suspended", "reactivated"]
    plan: str | None = None
    changed_at: datetime


@event(SCOUT_EVENTS, "company_id")
class RecruiterChanged(DomainEvent):
    recruiter_id: str
    company_id: str
    display_name: str
    active: bool
    changed_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class ScoutSent(DomainEvent):
    scout_id: str
    company_id: str
    company_name: str
    recruiter_id: str
    recruiter_name: str
    candidate_id: str
    reason: str
    tier: Literal["regular", "premium"] = "regular"
    template_id: str | None = None
    campaign_id: str | None = None
    sent_at: datetime
    expires_at: datetime | None = None


@event(SCOUT_EVENTS, "candidate_id")
class ScoutViewed(DomainEvent):
    scout_id: str
    company_id: str
    candidate_id: str
    viewed_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class ScoutDeclined(DomainEvent):
    scout_id: str
    company_id: str
    candidate_id: str
    reason: str | None = None
    declined_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class ScoutRequested(DomainEvent):
    """A student's "please scout me": a signal to the company, not a message."""

    request_id: str
    candidate_id: str
    company_id: str
    requested_at: datetime


@event(SCOUT_EVENTS, "campaign_id")
class CampaignImported(DomainEvent):
    campaign_id: str
    company_id: str
    rows_total: int
    rows_imported: int
    rows_failed: int
    template_id: str | None = None
    deadline: datetime | None = None
    imported_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class CampaignApplicantImported(DomainEvent):
    """One applicant row of an ATS CSV campaign: the template message is due to her.

    Carries the contact points from the CSV, since she may not have a profile yet."""

    campaign_id: str
    company_id: str
    company_name: str
    candidate_id: str
    display_name: str
    email: str | None = None
    phone: str | None = None
    template_id: str | None = None
    share_url: str
    respond_by: datetime | None = None
    imported_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class CampaignApplicantResponded(DomainEvent):
    """The applicant answered the campaign message: reminders to her stop."""

    campaign_id: str
    company_id: str
    candidate_id: str
    responded_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class ScoutExpired(DomainEvent):
    """A scout went unanswered for its whole lifetime: the company's slot is free again."""

    scout_id: str
    company_id: str
    candidate_id: str
    expired_at: datetime


@event(SCOUT_EVENTS, "candidate_id")
class CompanyBlocked(DomainEvent):
    """A student blocked a company: nothing more from it reaches her (scouts, messages, campaigns)."""

    candidate_id: str
    company_id: str
    blocked_at: datetime
