"""Companies, plans, scouts and the relation of a company to a student: pure data."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

Tier = Literal["regular", "premium"]
ScoutState = Literal["awaiting", "replied", "declined", "expired", "withdrawn"]
CompanyStatus = Literal["active", "inactive"]


def _no_quota() -> dict[Tier, int]:
    return {"regular": 0, "premium": 0}


class Plan(BaseModel):
    """What a company pays for: scouts per month per tier, and how many may await an answer at once."""

    name: str = Field(min_length=1, max_length=50)
    monthly_quota: dict[Tier, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=_no_quota)
    max_awaiting: int = Field(default=50, ge=1, le=10_000)

    def quota_for(self, tier: Tier) -> int:
        return max(0, self.monthly_quota.get(tier, 0))


class Recruiter(BaseModel):
    recruiter_id: str
    display_name: str
    active: bool = True


class Company(BaseModel):
    company_id: str
    name: str
    status: CompanyStatus
    plan: Plan
    industries: list[str] = []
    location: str | None = None
    # What the company scouts for (keywords matched against students' facts for recommendations).
    scouts_for: list[str] = []
    recruiters: dict[str, Recruiter] = {}
    joined_at: datetime
    updated_at: datetime

    def active_recruiter(self, recruiter_id: str) -> Recruiter | None:
        """The recruiter when she belongs to this company, is active, and the company participates."""
        recruiter = self.recruiters.get(recruiter_id)
        if self.status != "active" or recruiter is None or not recruiter.active:
            return None
        return recruiter


class Candidate(BaseModel):
    """What scout keeps about a student (from profile events, or a campaign applicant identity)."""

    candidate_id: str
    display_name: str = ""
    industries: list[str] = []
    location: str | None = None
    school: str | None = None
    faculty: str | None = None
    self_pr: str | None = None
    job_types: list[str] = []
    languages: list[str] = []  # ISO 639 codes
    events_attended: list[str] = []  # titles of the events she checked in at
    graduation_year: int | None = None
    email: str | None = None
    phone: str | None = None
    origin: Literal["profile", "campaign"] = "profile"
    deleted: bool = False


class Relation(BaseModel):
    """One company towards one student: block, cooldown after a decline or no reply, an open thread."""

    company_id: str
    candidate_id: str
    blocked: bool = False
    cooldown_until: datetime | None = None
    thread_open: bool = False


class Scout(BaseModel):
    scout_id: str
    company_id: str
    company_name: str
    recruiter_id: str
    recruiter_name: str
    candidate_id: str
    reason: str
    # The recruiter's answer to "what in her profile made you write?" (shown to her with the reason).
    what_in_her_profile: str | None = None
    tier: Tier = "regular"
    template_id: str | None = None
    state: ScoutState = "awaiting"
    month: str
    sent_at: datetime
    expires_at: datetime
    viewed_at: datetime | None = None
    closed_at: datetime | None = None
    decline_reason: str | None = None
    slot_released: bool = False


class Template(BaseModel):
    template_id: str
    company_id: str
    name: str
    body: str
    created_at: datetime
