"""HTTP API of the scout service: thin routers, domain errors mapped to statuses, background tasks."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.search_http import answer_for_the_read_side

from tsunagu_scout.bootstrap import Clock, bootstrap, system_clock
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints import admin, campaigns, recruiter, student
from tsunagu_scout.handlers.errors import Conflict, Forbidden, Invalid, NotFound

STATUSES = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}


def create_app(settings: ScoutSettings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    """The scout service; `clock` is injectable so tests can move time (expiry, cooldowns)."""
    app = create_service_app(
        settings=settings or ScoutSettings(),
        title="Tsunagu scout service",
        description="Companies, recruiters and plans; scouts with quotas; daily recommendations; ATS CSV campaigns.",
        bootstrap=partial(bootstrap, clock=clock),
        routers=[admin.router, recruiter.router, student.router, campaigns.router],
    )
    for error, code in STATUSES.items():
        app.add_exception_handler(error, partial(_error, code))
    answer_for_the_read_side(app)
    _with_background(app)
    return app


async def _error(code: int, request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=code)


def _with_background(app: FastAPI) -> None:
    """Create indexes at start, and stop this process's campaign jobs before infra stops."""
    shared_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with shared_lifespan(app):
            container = app.state.container
            await container.start_background()
            try:
                yield
            finally:
                await container.stop_background()

    app.router.lifespan_context = lifespan
