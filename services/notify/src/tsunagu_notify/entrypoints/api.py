"""HTTP API of the notify service: thin routes that call one handler each, and how refusals are answered.

- 404: a recipient the caller may not see (answered as if there were none), nothing to link or unlink,
  or the clock when this environment does not let it be moved;
- 403: a forged provider signature, or a segment send this caller may not make;
- 400: a signed webhook body that does not fit its provider's format, or a link token that is not hers;
- 422: a field refused (a sender's name on a company's send, a LINE user id LINE refuses);
- 409: a send id already used by another send, or a company notify has not yet heard of;
- 503: LINE is unavailable, with Retry-After.
"""

from typing import Any

from fastapi import APIRouter, FastAPI
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.auth import CurrentPrincipal
from tsunagu_shared.errors import Answer, ErrorAnswers, refused_field

from tsunagu_notify.bootstrap import bootstrap
from tsunagu_notify.config import NotifySettings
from tsunagu_notify.domain.errors import PlatformNameRefused, RecipientNotVisible, SendRefused
from tsunagu_notify.entrypoints.access import herself_or_admin
from tsunagu_notify.entrypoints.channels import router as channels_router
from tsunagu_notify.entrypoints.clock import ClockControlDisabled
from tsunagu_notify.entrypoints.clock import router as clock_router
from tsunagu_notify.entrypoints.container import ContainerDep
from tsunagu_notify.entrypoints.journeys import router as journeys_router
from tsunagu_notify.entrypoints.line import router as line_router
from tsunagu_notify.entrypoints.schemas import DecisionPublic, DeliveryPublic
from tsunagu_notify.entrypoints.unsubscribe import router as unsubscribe_router
from tsunagu_notify.entrypoints.webhook_bodies import MalformedWebhookBody
from tsunagu_notify.entrypoints.webhooks import ForgedSignature
from tsunagu_notify.entrypoints.webhooks import router as webhooks_router
from tsunagu_notify.handlers.line_accounts import LineUnavailable, LineUserRefused, LinkRefused, NoLineLink
from tsunagu_notify.handlers.segment_sends import SenderUnknown, SendIdTaken

router = APIRouter(tags=["notify"])

ERRORS: ErrorAnswers = {
    RecipientNotVisible: Answer(404, "no such recipient"),
    NoLineLink: 404,
    ClockControlDisabled: Answer(404, "clock control is disabled in this environment"),
    ForgedSignature: Answer(403, "invalid signature"),
    SendRefused: 403,
    MalformedWebhookBody: 400,
    LinkRefused: Answer(400, lambda exc: f"link_token: {exc}"),
    PlatformNameRefused: Answer(422, refused_field),
    LineUserRefused: Answer(422, lambda exc: f"line_user_id: LINE refused it ({exc})"),
    SendIdTaken: Answer(409, lambda exc: f"send_id: {exc} already names another send; choose another id"),
    SenderUnknown: Answer(409, lambda exc: f"company_id: notify has not yet heard of company {exc} "
                                           "(its registered name); try again shortly"),
    LineUnavailable: Answer(503, "LINE is unavailable; try again shortly", headers={"Retry-After": "5"}),
}


@router.get("/recipients/{recipient_id}/decisions", response_model=list[DecisionPublic])
async def decisions_of(recipient_id: str, principal: CurrentPrincipal, container: ContainerDep):
    """Why did she get this, or why not: every decision about her, newest first.

    Only the person herself (a candidate token with her id) and admins may read it; anyone
    else gets 404, so the endpoint does not reveal whether someone is a recipient."""
    herself_or_admin(principal, recipient_id)
    return await container.store.decisions_of(recipient_id)


@router.get("/recipients/{recipient_id}/deliveries", response_model=list[DeliveryPublic])
async def deliveries_of(recipient_id: str, principal: CurrentPrincipal, container: ContainerDep):
    """What became of the messages the policy allowed her, newest first (herself or an admin; 404 otherwise)."""
    herself_or_admin(principal, recipient_id)
    return await container.store.deliveries_of(recipient_id)


def create_app(settings: NotifySettings | None = None, **overrides: Any) -> FastAPI:
    """The notify app; `overrides` (clock, channels) replace bootstrap's defaults in tests."""

    async def boot(s: NotifySettings):
        return await bootstrap(s, **overrides)

    return create_service_app(
        settings=settings or NotifySettings(),
        title="Tsunagu notify service",
        description="Every notification passes one contact policy; every decision is recorded with its reason.",
        bootstrap=boot,
        routers=[router, line_router, journeys_router, webhooks_router, unsubscribe_router, channels_router,
                 clock_router],
        errors=ERRORS,
    )
