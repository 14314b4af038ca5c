"""The student's own profile: /profiles/me and what hangs from it."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal
from tsunagu_shared.request_bodies import body_limit

from tsunagu_profile.domain.model import ProfileCreate, ProfileUpdate
from tsunagu_profile.domain.personality import questionnaire
from tsunagu_profile.entrypoints.deps import Handlers
from tsunagu_profile.entrypoints.schemas import PersonalityAnswers, ProfileOwnerView, SelectionProgressReplace

router = APIRouter(prefix="/profiles", tags=["student"])


@router.post("/me", status_code=status.HTTP_201_CREATED, response_model=ProfileOwnerView)
async def create_my_profile(body: ProfileCreate, user: CandidateUser, handlers: Handlers):
    """Create the calling student's profile (one per student; 409 when it exists).

    Publishes ProfileCreated and ContactPreferencesChanged (consent only on the channels she consented to)."""
    return await handlers.create_profile(candidate_id=user.subject, data=body)


@router.get("/me", response_model=ProfileOwnerView)
async def read_my_profile(user: CandidateUser, handlers: Handlers):
    """The calling student's own profile, contact points included (404 before she creates it)."""
    return await handlers.get_profile(candidate_id=user.subject)


@router.patch("/me", response_model=ProfileOwnerView)
async def update_my_profile(body: ProfileUpdate, user: CandidateUser, handlers: Handlers):
    """Change some fields; absent fields stay, `null` clears an optional one. Unknown fields are refused.

    Publishes ProfileUpdated with the changed fields (nothing when nothing changed), and
    ContactPreferencesChanged when her name, email or phone changed."""
    return await handlers.update_profile(candidate_id=user.subject, update=body)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_my_profile(user: CandidateUser, handlers: Handlers) -> None:
    """Delete the calling student's account: her data and photo are erased here, and everywhere (ProfileDeleted)."""
    await handlers.delete_profile(candidate_id=user.subject)


@router.put("/me/selection-progress", response_model=ProfileOwnerView)
async def replace_my_selection_progress(body: SelectionProgressReplace, user: CandidateUser, handlers: Handlers):
    """Replace her selection progress at other companies (company, stage, date, optional outcome).

    Publishes SelectionProgressUpdated with the full list."""
    return await handlers.replace_selection_progress(candidate_id=user.subject, entries=body.entries)


@router.get("/personality-test")
async def read_personality_test(principal: CurrentPrincipal, locale: Annotated[str, Query(pattern="^(ja|en)$")] = "ja"):
    """The personality questionnaire in Japanese (`ja`) or English (`en`), answers on a 1–5 scale."""
    return questionnaire().localized(locale)


@router.post("/me/personality-test", response_model=ProfileOwnerView)
async def take_personality_test(body: PersonalityAnswers, user: CandidateUser, handlers: Handlers):
    """Answer every question; the service scores a result type and trait scores (0–100).

    Retaking the test replaces the earlier result. Publishes ProfileUpdated."""
    return await handlers.take_personality_test(candidate_id=user.subject, answers=body.answers)


@router.put("/me/photo", response_model=ProfileOwnerView, openapi_extra=body_limit("photo_max_bytes"))
async def upload_my_photo(user: CandidateUser, handlers: Handlers, photo: Annotated[UploadFile, File()]):
    """Upload her photo (multipart field `photo`): JPEG, PNG or WebP judged from the bytes (415 otherwise),
    no larger than the configured maximum (413). Replaces any earlier photo."""
    data = await photo.read()
    return await handlers.upload_photo(candidate_id=user.subject, data=data)


@router.get("/me/photo", response_class=Response)
async def read_my_photo(user: CandidateUser, handlers: Handlers):
    """Her own photo (404 when she has none)."""
    data, content_type = await handlers.read_photo(candidate_id=user.subject)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, no-store"})


@router.delete("/me/photo", response_model=ProfileOwnerView)
async def delete_my_photo(user: CandidateUser, handlers: Handlers):
    """Remove her photo from the photo store and from the profile."""
    return await handlers.remove_photo(candidate_id=user.subject)
