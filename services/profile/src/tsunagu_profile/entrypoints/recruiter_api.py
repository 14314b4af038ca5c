"""Recruiter search and reads: only for recruiters of active participating companies, or services."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from tsunagu_shared.moments import Moment

from tsunagu_profile.domain.model import ProfileRecruiterView, Stage
from tsunagu_profile.domain.personality import questionnaire
from tsunagu_profile.domain.search import SearchFilters, SortName
from tsunagu_profile.entrypoints.deps import Handlers, Viewer, viewer_of
from tsunagu_profile.entrypoints.schemas import ProfilePage

router = APIRouter(prefix="/profiles", tags=["recruiters"])

ReadableId = Annotated[str, Depends(viewer_of)]
PersonalityType = Literal[tuple(t["type"] for t in questionnaire().raw["result_types"].values())]  # type: ignore[misc]


@router.get("", response_model=ProfilePage)
async def search_profiles(
    viewer: Viewer,
    handlers: Handlers,
    industry: Annotated[str | None, Query(max_length=50)] = None,
    graduation_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    school: Annotated[str | None, Query(max_length=200)] = None,
    location: Annotated[str | None, Query(max_length=100)] = None,
    stage: Annotated[Stage | None, Query(description="A selection-progress stage reached at another company")] = None,
    personality_type: PersonalityType | None = None,
    has_photo: bool | None = None,
    active_since: Annotated[Moment | None, Query(description="Active at or after this time")] = None,
    active_within_days: Annotated[int | None, Query(ge=1, le=365)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200,
                                   description="Words in her self-PR or job types (Japanese too)")] = None,
    sort: SortName = "last_active",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """Search profiles (recruiters of active companies and services only). Filters combine with AND;
    `q` looks for words in self-PRs and job types; sort `last_active` (default) or `newest`; pass
    `next_cursor` back as `cursor` for the next page. Read from the search index: a change to a
    profile shows here within about a second; a student never appears to a company she blocked."""
    if active_within_days is not None:
        since = datetime.now(UTC) - timedelta(days=active_within_days)
        active_since = max(active_since, since) if active_since else since
    filters = SearchFilters(
        industry=industry, graduation_year=graduation_year, school=school, location=location, stage=stage,
        personality_type=personality_type, has_photo=has_photo, active_since=active_since, text=q,
    )
    items, next_cursor = await handlers.search(filters=filters, sort=sort, cursor=cursor, limit=limit,
                                               company_id=viewer.company_id)
    return ProfilePage(items=items, next_cursor=next_cursor)


@router.get("/{candidate_id}", response_model=ProfileRecruiterView)
async def read_profile(candidate_id: ReadableId, handlers: Handlers):
    """One profile, without contact points. Recruiters of inactive companies, and recruiter ids their
    company never registered, get 403; another student gets 404, as does a recruiter of a company she
    blocked and a profile that does not exist."""
    profile = await handlers.get_profile(candidate_id=candidate_id)
    return ProfileRecruiterView.model_validate(profile.model_dump())


@router.get("/{candidate_id}/photo", response_class=Response)
async def read_profile_photo(candidate_id: ReadableId, handlers: Handlers):
    """A profile's photo, served only to those who may read the profile (404 when there is none)."""
    data, content_type = await handlers.read_photo(candidate_id=candidate_id)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, no-store"})
