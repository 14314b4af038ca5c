"""Periodic background work (scout expiry, resuming stalled campaign imports), run with
`Infrastructure.add_task`: started with the service, cancelled at shutdown."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


def every(seconds: float, step: Callable[[], Awaitable[int]], *, what: str) -> Callable[[], Awaitable[None]]:
    """A loop calling `step()` now and then every `seconds`; it logs how many things `step` handled
    (as `what`), and a failing step is logged and tried again next time."""

    async def run() -> None:
        while True:
            try:
                handled = await step()
                if handled:
                    log.info(what, count=handled)
            except Exception:
                log.exception(f"{what}_failed")
            await asyncio.sleep(seconds)

    return run
