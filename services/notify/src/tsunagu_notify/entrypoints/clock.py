"""Moving notify's clock, for demos and test stacks only (TSUNAGU_CLOCK_CONTROL=true).

The demo shows a scout arriving at 23:00 the student's time without waiting for
the night; production never enables this (the route answers 404 there)."""

from fastapi import APIRouter, Request
from tsunagu_shared.auth import AdminUser
from tsunagu_shared.clock import SettableClock

from tsunagu_notify.entrypoints.schemas import ClockPublic, ClockSetting

router = APIRouter(prefix="/admin/clock", tags=["operations"])


class ClockControlDisabled(Exception):
    """The clock is the system's here: only demo and test stacks may move it."""


def _clock(request: Request) -> SettableClock:
    clock = request.app.state.container.clock
    if not (request.app.state.settings.clock_control and isinstance(clock, SettableClock)):
        raise ClockControlDisabled()
    return clock


@router.get("", response_model=ClockPublic)
async def read_clock(_: AdminUser, request: Request):
    """The time notify's policy and scheduler read now."""
    return ClockPublic(now=_clock(request).now(), controllable=True)


@router.put("", response_model=ClockPublic)
async def set_clock(body: ClockSetting, _: AdminUser, request: Request):
    """Set notify's clock to a moment; time keeps flowing from there (admins, demo stacks only)."""
    clock = _clock(request)
    clock.set(body.now)
    return ClockPublic(now=clock.now(), controllable=True)
