"""HTTP API of the notify service: thin routes that call one handler each."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, status
from pydantic import BaseModel
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.auth import CurrentPrincipal

from tsunagu_notify.bootstrap import bootstrap
from tsunagu_notify.config import NotifySettings
from tsunagu_notify.entrypoints.channels import router as channels_router
from tsunagu_notify.entrypoints.clock import router as clock_router
from tsunagu_notify.entrypoints.container import ContainerDep
from tsunagu_notify.entrypoints.journeys import router as journeys_router
from tsunagu_notify.entrypoints.line import router as line_router
from tsunagu_notify.entrypoints.unsubscribe import router as unsubscribe_router
from tsunagu_notify.entrypoints.webhooks import router as webhooks_router

router = APIRouter(tags=["notify"])


class DecisionPublic(BaseModel):
    """One policy decision: what happened to one notification intent, and why."""

    intent_id: str
    attempt: int
    template: str
    category: str
    company_id: str | None
    action: str
    reason: str
    channel: str | None
    until: datetime | None
    into: str | None
    detail: str
    decided_at: datetime


class DeliveryPublic(BaseModel):
    """One message to her on one channel: pending until a channel worker's outcome is shown."""

    intent_id: str
    channel: str
    template: str
    category: str
    company_id: str | None = None
    status: str
    attempts: int = 0
    created_at: datetime
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    provider_code: str | None = None
    provider_status: str | None = None
    last_error: str | None = None


@router.get("/recipients/{recipient_id}/decisions", response_model=list[DecisionPublic])
async def decisions_of(recipient_id: str, principal: CurrentPrincipal, container: ContainerDep):
    """Why did she get this, or why not: every decision about her, newest first.

    Only the person herself (a candidate token with her id) and admins may read it; anyone
    else gets 404, so the endpoint does not reveal whether someone is a recipient."""
    if not (principal.role == "admin" or (principal.role == "candidate" and principal.subject == recipient_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such recipient")
    return await container.store.decisions_of(recipient_id)


@router.get("/recipients/{recipient_id}/deliveries", response_model=list[DeliveryPublic])
async def deliveries_of(recipient_id: str, principal: CurrentPrincipal, container: ContainerDep):
    """What became of the messages the policy allowed her, newest first (herself or an admin; 404 otherwise)."""
    if not (principal.role == "admin" or (principal.role == "candidate" and principal.subject == recipient_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such recipient")
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
    )
