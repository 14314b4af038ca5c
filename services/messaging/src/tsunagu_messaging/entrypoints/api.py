"""HTTP API of the messaging service: thin routes that call one handler each."""

from fastapi import APIRouter, FastAPI

from tsunagu_shared.app import create_app as create_service_app

from tsunagu_messaging.bootstrap import bootstrap
from tsunagu_messaging.config import MessagingSettings

router = APIRouter(tags=["messaging"])


def create_app(settings: MessagingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or MessagingSettings(),
        title="Tsunagu messaging service",
        description="Tsunagu messaging service.",
        bootstrap=bootstrap,
        routers=[router],
    )
