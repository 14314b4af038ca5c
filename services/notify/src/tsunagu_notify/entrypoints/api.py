"""HTTP API of the notify service: thin routes that call one handler each."""

from fastapi import APIRouter, FastAPI

from tsunagu_shared.app import create_app as create_service_app

from tsunagu_notify.bootstrap import bootstrap
from tsunagu_notify.config import NotifySettings

router = APIRouter(tags=["notify"])


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or NotifySettings(),
        title="Tsunagu notify service",
        description="Tsunagu notify service.",
        bootstrap=bootstrap,
        routers=[router],
    )
