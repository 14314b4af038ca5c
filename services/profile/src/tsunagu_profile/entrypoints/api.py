"""HTTP API of the profile service: thin routes that call one handler each."""

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status

from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.auth import CandidateUser

from tsunagu_profile.adapters.repository import ProfileAlreadyExists
from tsunagu_profile.bootstrap import bootstrap
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.domain.model import ProfileCreate, ProfilePublic
from tsunagu_profile.handlers import ProfileHandlers, ProfileNotFound

router = APIRouter(prefix="/profiles", tags=["profiles"])


def get_handlers(request: Request) -> ProfileHandlers:
    return request.app.state.container.handlers


Handlers = Annotated[ProfileHandlers, Depends(get_handlers)]


@router.post("/me", status_code=status.HTTP_201_CREATED, response_model=ProfilePublic)
async def create_my_profile(body: ProfileCreate, user: CandidateUser, handlers: Handlers):
    """Create the calling student's profile (one per student)."""
    try:
        return await handlers.create_profile(candidate_id=user.subject, data=body)
    except ProfileAlreadyExists:
        raise HTTPException(status.HTTP_409_CONFLICT, detail="profile already exists") from None


@router.get("/me", response_model=ProfilePublic)
async def read_my_profile(user: CandidateUser, handlers: Handlers):
    """The calling student's own profile."""
    try:
        return await handlers.get_profile(candidate_id=user.subject)
    except ProfileNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no profile yet") from None


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_my_profile(user: CandidateUser, handlers: Handlers) -> None:
    """Delete the calling student's account: her personal data is erased everywhere (ProfileDeleted)."""
    try:
        await handlers.delete_profile(candidate_id=user.subject)
    except ProfileNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no profile") from None


def create_app(settings: ProfileSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or ProfileSettings(),
        title="Tsunagu profile service",
        description="Student profiles, visible only to recruiters of participating companies.",
        bootstrap=bootstrap,
        routers=[router],
    )
