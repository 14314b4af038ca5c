"""Student endpoints: received scouts, view, decline, block, daily recommendations, "please scout me"."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from tsunagu_shared.auth import CandidateUser
from tsunagu_shared.search_http import NEXT_CURSOR

from tsunagu_scout.domain.model import Scout
from tsunagu_scout.entrypoints.deps import ContainerDep
from tsunagu_scout.entrypoints.schemas import Decline

router = APIRouter(tags=["students"])


@router.get("/scouts/received", response_model=list[Scout])
async def received_scouts(user: CandidateUser, container: ContainerDep, response: Response,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50,
                          cursor: Annotated[str | None, Query(max_length=500)] = None):
    """Your scouts: premium first, then newest first. A page of `limit`; when more follow, the
    `X-Next-Cursor` header holds the `cursor` of the next page. 503 while the search engine is away."""
    scouts, next_cursor = await container.scouting.received(user.subject, cursor=cursor, limit=limit)
    if next_cursor:
        response.headers[NEXT_CURSOR] = next_cursor
    return scouts


@router.post("/scouts/{scout_id}/view", response_model=Scout)
async def view_scout(scout_id: str, user: CandidateUser, container: ContainerDep):
    """Mark a scout as viewed (the first view publishes ScoutViewed). 404 for a scout not sent to you."""
    return await container.scouting.view(scout_id, user.subject)


@router.post("/scouts/{scout_id}/decline", response_model=Scout)
async def decline_scout(scout_id: str, user: CandidateUser, container: ContainerDep, body: Decline | None = None):
    """Decline a scout, optionally saying why (ScoutDeclined); the company may not re-scout you for a while."""
    return await container.scouting.decline(scout_id, user.subject, body.reason if body else None)


@router.put("/blocks/{company_id}", status_code=status.HTTP_204_NO_CONTENT)
async def block_company(company_id: str, user: CandidateUser, container: ContainerDep) -> None:
    """Block a company: it can no longer scout you (CompanyBlocked); a scout from it awaiting you is withdrawn."""
    await container.scouting.block(user.subject, company_id)


@router.delete("/blocks/{company_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unblock_company(company_id: str, user: CandidateUser, container: ContainerDep) -> None:
    """Lift your block of a company."""
    await container.scouting.unblock(user.subject, company_id)


@router.get("/recommendations/me")
async def my_recommendations(user: CandidateUser, container: ContainerDep) -> list[dict]:
    """Today's recommended companies for you, best fit first (the same list all day)."""
    return await container.recommendations.today(user.subject)


@router.post("/recommendations/me/{company_id}/scout-request", status_code=status.HTTP_201_CREATED)
async def request_scout(company_id: str, user: CandidateUser, container: ContainerDep) -> dict:
    """"Please scout me" to a company on today's list (ScoutRequested); once per company per period (else 409)."""
    request = await container.recommendations.request_scout(user.subject, company_id)
    return {k: v for k, v in request.items() if k not in ("_id", "_outbox", "_pending")}
