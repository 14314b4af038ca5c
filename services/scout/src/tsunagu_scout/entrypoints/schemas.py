"""The request models of the scout API (its answers are the domain's models: `Company`, `Scout`)."""

from typing import Literal

from pydantic import BaseModel, Field

from tsunagu_scout.domain.model import Plan, Tier


class CompanyCreate(BaseModel):
    company_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    plan: Plan
    industries: list[str] = Field(default_factory=list, max_length=20)
    location: str | None = Field(default=None, max_length=100)
    scouts_for: list[str] = Field(default_factory=list, max_length=20)


class StatusChange(BaseModel):
    change: Literal["left", "suspended", "reactivated"]


class RecruiterPut(BaseModel):
    display_name: str = Field(min_length=1, max_length=100)
    active: bool = True


class ScoutCreate(BaseModel):
    candidate_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(max_length=4000, description=(
        "Why this student: written for her, not the template. It must name something of hers (her school, "
        "faculty, self-PR, skills, industries or an event she attended) unless `what_in_her_profile` answers it"))
    what_in_her_profile: str | None = Field(default=None, max_length=500, description=(
        'Your answer to "what in her profile made you write?" (shown to her with the reason); needed when '
        "the reason names nothing of her profile"))
    tier: Tier = "regular"
    template_id: str | None = None


class TemplateCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=4000)


class Decline(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)
