"""The candidate profile: pure data and validation rules, no I/O.

API shapes follow the XCreate / XUpdate / XPublic habit. Every field carries its
own limits, so a bad value comes back as a 422 whose `loc` names the field.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from tsunagu_shared.contact_points import EmailAddress, PhoneNumber

from tsunagu_profile.domain.contact import ContactPreferences, ContactPreferencesUpdate

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("contains the same value twice")
    return values


Email = EmailAddress
Phone = PhoneNumber
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique)]
GraduationYear = Annotated[int, Field(ge=1990, le=2100)]
LanguageLevel = Literal["native", "fluent", "business", "conversational", "basic"]
Stage = Literal[
    "applied", "document_screening", "aptitude_test", "first_interview", "second_interview",
    "third_interview", "final_interview", "offer",
]
Outcome = Literal["passed", "failed", "withdrawn", "pending", "accepted", "declined"]


class Language(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] = Field(description="ISO 639 code, e.g. ja")
    level: LanguageLevel


class ProfileFields(BaseModel):
    """The fields a student edits herself (education is school, faculty, graduation year)."""

    model_config = ConfigDict(extra="forbid")

    display_name: Text
    email: Email | None = None
    phone: Phone | None = None
    school: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    faculty: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    graduation_year: GraduationYear | None = None
    self_pr: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    industries: Tags = []
    job_types: Tags = []
    location: Text | None = None
    languages: Annotated[list[Language], Field(max_length=10)] = []


class ProfileCreate(ProfileFields):
    """What a student gives to create her profile; contact preferences are optional."""

    contact_preferences: ContactPreferencesUpdate | None = None


class ProfileUpdate(BaseModel):
    """A partial update: only the fields present change; null clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    display_name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    school: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    faculty: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    graduation_year: GraduationYear | None = None
    self_pr: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    # Lists are emptied with [], never null (absent: unchanged). The default None marks a list left out; the
    # type, without None, is what refuses a null from the client (so the checker is told to let it be).
    industries: Tags = Field(default=None, description="[] removes every entry; null is refused")  # type: ignore[arg-type]
    job_types: Tags = Field(default=None, description="[] removes every entry; null is refused")  # type: ignore[arg-type]
    location: Text | None = None
    languages: Annotated[list[Language], Field(max_length=10)] = Field(
        default=None, description="[] removes every entry; null is refused")  # type: ignore[arg-type]


class SelectionProgress(BaseModel):
    """One selection at another company, as the student reports it."""

    model_config = ConfigDict(extra="forbid")

    company_name: Text
    stage: Stage
    date: date
    outcome: Outcome | None = None


class Photo(BaseModel):
    content_type: str
    size: int
    uploaded_at: datetime


class PersonalityResult(BaseModel):
    result_type: str
    traits: dict[str, int]
    taken_at: datetime


class Profile(ProfileFields):
    """The stored profile (the aggregate). `version` guards concurrent writes."""

    model_config = ConfigDict(extra="ignore")

    candidate_id: str
    contact: ContactPreferences = ContactPreferences()
    selection_progress: list[SelectionProgress] = []
    personality: PersonalityResult | None = None
    photo: Photo | None = None
    has_photo: bool = False
    created_at: datetime
    updated_at: datetime
    last_active_at: datetime
    version: int = 1


class ProfileRecruiterView(BaseModel):
    """The profile as a recruiter sees it: no contact points (contact goes through scouts)."""

    candidate_id: str
    display_name: str
    school: str | None
    faculty: str | None
    graduation_year: int | None
    self_pr: str | None
    industries: list[str]
    job_types: list[str]
    location: str | None
    languages: list[Language]
    selection_progress: list[SelectionProgress]
    personality: PersonalityResult | None
    has_photo: bool
    last_active_at: datetime

