"""HTTP API of the scout service: thin routers and the statuses of its domain errors."""

from functools import partial

from fastapi import FastAPI
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.clock import SYSTEM_CLOCK, Clock
from tsunagu_shared.errors import ErrorAnswers

from tsunagu_scout.bootstrap import bootstrap
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints import admin, campaigns, recruiter, student
from tsunagu_scout.handlers.errors import Conflict, Forbidden, Invalid, NotFound

ERRORS: ErrorAnswers = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}


def create_app(settings: ScoutSettings | None = None, *, clock: Clock = SYSTEM_CLOCK) -> FastAPI:
    """The scout service; `clock` is injectable so tests can move time (expiry, cooldowns)."""
    return create_service_app(
        settings=settings or ScoutSettings(),
        title="Tsunagu scout service",
        description="Companies, recruiters and plans; scouts with quotas; daily recommendations; ATS CSV campaigns.",
        bootstrap=partial(bootstrap, clock=clock),
        routers=[admin.router, recruiter.router, student.router, campaigns.router],
        errors=ERRORS,
    )
