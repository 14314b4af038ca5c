"""HTTP API of the scout service: thin routes that call one handler each."""

from fastapi import APIRouter, FastAPI

from tsunagu_shared.app import create_app as create_service_app

from tsunagu_scout.bootstrap import bootstrap
from tsunagu_scout.config import ScoutSettings

router = APIRouter(tags=["scout"])


def create_app(settings: ScoutSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or ScoutSettings(),
        title="Tsunagu scout service",
        description="Tsunagu scout service.",
        bootstrap=bootstrap,
        routers=[router],
    )
