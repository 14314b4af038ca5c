"""Dependencies shared by the routers: the handlers, and who may see which profile.

Choices (documented in the OpenAPI text): another student asking for a profile
gets 404, as if it did not exist, and so does a recruiter of a company she blocked; a recruiter
whose company is not an active participant gets 403 on every profile route, whatever the profile (so the 403
reveals nothing about any student); anonymous callers get 401.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from tsunagu_shared.auth import CurrentPrincipal, Principal
from tsunagu_shared.containers import container_of

from tsunagu_profile.bootstrap import Container
from tsunagu_profile.domain.visibility import Access, candidate_access
from tsunagu_profile.handlers import ProfileHandlers

NOT_FOUND = "profile not found"
REFUSED = {
    Access.COMPANY_NOT_ACTIVE: "your company is not an active participant of Tsunagu",
    Access.RECRUITER_NOT_ACTIVE: "your recruiter account is not active",
    Access.RECRUITER_NOT_REGISTERED: "you are not a registered recruiter of a participating company "
                                     "(an admin adds you to your company first)",
}


def get_handlers(container: Annotated[Container, Depends(container_of(Container))]) -> ProfileHandlers:
    return container.handlers


Handlers = Annotated[ProfileHandlers, Depends(get_handlers)]


async def require_viewer(principal: CurrentPrincipal, handlers: Handlers) -> Principal:
    """Callers who may see profiles of others: active recruiters and services (403 otherwise)."""
    if principal.role in ("service", "admin"):
        return principal
    if principal.role != "recruiter":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {principal.role} may not browse profiles")
    access = await handlers.recruiter_access(principal)
    if access is not Access.ALLOWED:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=REFUSED[access])
    return principal


Viewer = Annotated[Principal, Depends(require_viewer)]


async def viewer_of(candidate_id: str, principal: CurrentPrincipal, handlers: Handlers) -> str:
    """The candidate id a caller may read: her own for a student, any for an active recruiter or a service."""
    if principal.role == "candidate":
        if candidate_access(principal.subject, candidate_id) is not Access.ALLOWED:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
        return candidate_id
    viewer = await require_viewer(principal, handlers)
    if viewer.role == "recruiter" and await handlers.hidden_from(candidate_id, viewer.company_id or ""):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return candidate_id


def owner_or_service(candidate_id: str, principal: CurrentPrincipal) -> str:
    """The student herself (`me` or her id) or a service token; recruiters are refused (403)."""
    if principal.role == "candidate":
        if candidate_id == "me":
            return principal.subject
        if candidate_access(principal.subject, candidate_id) is not Access.ALLOWED:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
        return candidate_id
    if principal.role in ("service", "admin") and candidate_id != "me":
        return candidate_id
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {principal.role} may not do this")
