"""LINE account linking and the member-status menu: thin routes over line_accounts.LineAccounts."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal, ServiceCaller

from tsunagu_notify.entrypoints.access import herself_or_admin
from tsunagu_notify.entrypoints.schemas import LineLink, LinkTokenPublic, MemberStatusPublic, NoncePublic, NonceRequest
from tsunagu_notify.handlers.line_accounts import LineAccounts, NoLineLink

router = APIRouter(tags=["line"])


def get_line(request: Request) -> LineAccounts:
    return request.app.state.container.line


Line = Annotated[LineAccounts, Depends(get_line)]


@router.post("/line/link-tokens", response_model=LinkTokenPublic, status_code=status.HTTP_201_CREATED)
async def issue_link_token(body: LineLink, _: ServiceCaller, line: Line):
    """Step 1 of account linking (service/admin): ask LINE for a link token for this LINE user.

    The bot sends her Tsunagu's login link carrying this token."""
    return LinkTokenPublic(link_token=await line.issue_link_token(body.line_user_id))


@router.post("/recipients/{recipient_id}/line/nonce", response_model=NoncePublic, status_code=status.HTTP_201_CREATED)
async def issue_nonce(recipient_id: str, body: NonceRequest, principal: CandidateUser, line: Line):
    """Step 2 (the candidate, logged in): a one-time nonce bound to her and the link token, valid 10 minutes,
    and the LINE URL to redirect her to. LINE then posts an accountLink webhook carrying the nonce."""
    herself_or_admin(principal, recipient_id)
    nonce, url = await line.issue_nonce(recipient_id, body.link_token)
    return NoncePublic(nonce=nonce, redirect_url=url)


@router.put("/recipients/{recipient_id}/line", status_code=status.HTTP_204_NO_CONTENT)
async def link_line(recipient_id: str, body: LineLink, _: ServiceCaller, line: Line) -> None:
    """Link her LINE user id directly (admins and services: support desk, demo), with consent `line_link`.

    Starts her LINE welcome journey and shows the menu of her member status."""
    if not await line.link(recipient_id, body.line_user_id, source="admin"):
        raise NoLineLink("no such recipient, or already linked to this id")


@router.delete("/recipients/{recipient_id}/line", status_code=status.HTTP_204_NO_CONTENT)
async def unlink_line(recipient_id: str, principal: CurrentPrincipal, line: Line) -> None:
    """Unlink her LINE account (herself or an admin): LINE messages, her LINE journey and menu stop."""
    herself_or_admin(principal, recipient_id)
    if not await line.unlink(recipient_id):
        raise NoLineLink("no LINE account linked")


@router.get("/recipients/{recipient_id}/member-status", response_model=MemberStatusPublic)
async def member_status(recipient_id: str, principal: CurrentPrincipal, line: Line):
    """Her member status (registered, scouted, interviewing, offer_holder) and the menu LINE shows her."""
    herself_or_admin(principal, recipient_id)
    return await line.member_status(recipient_id)
