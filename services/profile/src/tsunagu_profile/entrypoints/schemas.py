"""The request and response models of the profile API that are not the domain's own (the domain keeps
the profile, its commands `ProfileCreate` / `ProfileUpdate` and the recruiter's view, which the
search index stores too)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tsunagu_profile.domain.model import ProfileRecruiterView, SelectionProgress


class SelectionProgressReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: Annotated[list[SelectionProgress], Field(max_length=50)]


class ProfileOwnerView(ProfileRecruiterView):
    """The profile as its owner sees it: everything she gave, her contact points included."""

    email: str | None
    phone: str | None
    created_at: datetime
    updated_at: datetime


class ProfilePage(BaseModel):
    items: list[ProfileRecruiterView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class PersonalityAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, int]
