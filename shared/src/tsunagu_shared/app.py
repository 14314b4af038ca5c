"""The FastAPI application every service is built from.

It adds what each service must have: /healthz, /readyz (what the pod's work needs),
/metrics (Prometheus), JSON request logs, traces and request ids (`observability`), 503
when the database is away, and `X-Robots-Tag: noindex` on every response (nothing of
Tsunagu is indexed).
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

from tsunagu_shared.contact_points import use_default_region
from tsunagu_shared.error_answers import document_error_answers
from tsunagu_shared.errors import ErrorAnswers, answer_errors
from tsunagu_shared.logging import configure_logging
from tsunagu_shared.observability import observe_app, start_observing, stop_observing
from tsunagu_shared.request_bodies import install_request_checks
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.search_http import READ_SIDE_ANSWERS
from tsunagu_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

Bootstrap = Callable[[ServiceSettings], Awaitable[Any]]


def create_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    bootstrap: Bootstrap,
    routers: list[APIRouter],
    errors: ErrorAnswers | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """Build a service's app. `bootstrap(settings)` runs inside the event loop at startup and
    returns the service's container, which must have an `infra: Infrastructure` attribute.
    `errors`: the status each of the service's domain errors answers (`tsunagu_shared.errors`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        start_observing(settings)
        container = await bootstrap(settings)
        app.state.container = container
        await container.infra.start()
        log.info("service_started", port=settings.http_port)
        try:
            yield
        finally:
            await container.infra.stop()
            stop_observing()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    app.include_router(_operations_router())
    for router in routers:
        app.include_router(router)
    install_request_checks(app, settings)
    answer_errors(app, {**READ_SIDE_ANSWERS, **(errors or {})})
    document_error_answers(app)
    use_default_region(settings.default_phone_region)
    _install_middleware(app)
    observe_app(app)
    return app


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: every dependency is reported; the pod is ready when those its work needs answer
        (`needs`: the database; Kafka too for a consuming pod), 503 with the reason otherwise."""
        infra: Infrastructure = request.app.state.container.infra
        checks = await infra.readiness()
        needs = infra.readiness_needs()
        ready = all(checks[name] == "ok" for name in needs)
        body = {"status": "ready" if ready else "unavailable", "checks": checks, "needs": list(needs)}
        return JSONResponse(body, 200 if ready else 503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def no_index(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database_unavailable", error=str(exc))
        return JSONResponse(
            {"detail": "the database is unavailable; nothing was changed, try again shortly"},
            status_code=503,
            headers={"Retry-After": "5", "X-Robots-Tag": "noindex, nofollow"},
        )

    for exc_type in (ServerSelectionTimeoutError, ConnectionFailure, AutoReconnect):
        app.add_exception_handler(exc_type, database_unavailable)
