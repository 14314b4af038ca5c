"""The candidate profile: pure data and rules, no I/O."""

from datetime import datetime

from pydantic import BaseModel, Field


class ProfileCreate(BaseModel):
    """What a student gives to create her profile."""

    display_name: str = Field(min_length=1, max_length=100)
    graduation_year: int | None = Field(default=None, ge=1990, le=2100)
    school: str | None = Field(default=None, max_length=200)
    industries: list[str] = Field(default_factory=list, max_length=20)
    location: str | None = Field(default=None, max_length=100)


class Profile(ProfileCreate):
    candidate_id: str
    created_at: datetime
    updated_at: datetime


class ProfilePublic(Profile):
    """A profile as returned by the API."""
