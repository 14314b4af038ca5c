"""HTTP API of the events service: thin routes that call one handler each."""

from fastapi import APIRouter, FastAPI

from tsunagu_shared.app import create_app as create_service_app

from tsunagu_events.bootstrap import bootstrap
from tsunagu_events.config import EventsSettings

router = APIRouter(tags=["events"])


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or EventsSettings(),
        title="Tsunagu events service",
        description="Tsunagu events service.",
        bootstrap=bootstrap,
        routers=[router],
    )
