"""Shapes of notify's HTTP API (XCreate / XRequest for input, XPublic for output).

The bodies providers post to the webhooks are theirs, not ours: they stay in webhook_bodies.py."""

from datetime import datetime

from pydantic import BaseModel, Field
from tsunagu_shared.moments import AwareMoment

from tsunagu_notify.domain.journeys.definitions import SegmentFilter


class DecisionPublic(BaseModel):
    """One policy decision: what happened to one notification intent, and why."""

    intent_id: str
    attempt: int
    template: str
    category: str
    company_id: str | None
    action: str
    reason: str
    channel: str | None
    until: datetime | None
    into: str | None
    detail: str
    decided_at: datetime


class DeliveryPublic(BaseModel):
    """One message to her on one channel: pending until a channel worker's outcome is shown."""

    intent_id: str
    channel: str
    template: str
    category: str
    company_id: str | None = None
    status: str
    attempts: int = 0
    created_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    provider_code: str | None = None
    provider_status: str | None = None
    last_error: str | None = None


class ChannelPublic(BaseModel):
    channel: str
    reachable: bool  # an address, consent, and no opt-out
    has_address: bool
    consented_at: datetime | None
    consent_source: str | None
    opted_out_at: datetime | None
    opt_out_source: str | None


class ClockSetting(BaseModel):
    now: AwareMoment


class ClockPublic(BaseModel):
    now: datetime
    controllable: bool


class StepPublic(BaseModel):
    sequence: str
    step: str
    template: str
    instance: str
    company_id: str | None
    due_at: datetime = Field(description="when it fires (a late step caught up fires when it was planned)")
    scheduled_for: datetime | None = Field(None, description="the moment its offset names")
    status: str = Field(description="pending, claimed, fired, skipped (left the segment), stopped (goal) "
                                    "or missed (already past when planned, and not the one caught up)")
    stopped_by: str | None = None


class SurveyAnswer(BaseModel):
    answer: str = Field(min_length=1, max_length=200)


class SegmentSendCreate(BaseModel):
    segment: SegmentFilter
    message: str = Field(min_length=1, max_length=1000)
    # Admins may send for a company or for the platform; a recruiter always sends for her own company.
    company_id: str | None = None
    company_name: str | None = Field(
        None, min_length=1, max_length=100,
        description="the sender's name of a platform send (admins, no company_id; default Tsunagu). A company's "
                    "send always carries its registered name: setting this with a company answers 422")
    send_id: str | None = Field(None, max_length=64, description="idempotency key; a repeat of the same send adds "
                                "nobody twice, the id of another send answers 409")


class SegmentSendPublic(BaseModel):
    send_id: str
    requested: int


class LineLink(BaseModel):
    line_user_id: str = Field(min_length=1, max_length=64)


class LinkTokenPublic(BaseModel):
    link_token: str


class NonceRequest(BaseModel):
    link_token: str = Field(min_length=1, max_length=128)


class NoncePublic(BaseModel):
    nonce: str
    redirect_url: str


class MemberStatusPublic(BaseModel):
    status: str
    menu_status: str | None
