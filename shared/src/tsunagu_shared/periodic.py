"""Background work done every few seconds (sweepers, schedulers), one loop for every service."""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    """Calls `work()` at once and then `seconds` after each call ends, until stopped.

    A failing call is logged and tried again next time: the loop never dies. When `work`
    returns a count of things it handled, a non-zero count is logged as `name`."""

    def __init__(self, work: Callable[[], Awaitable[object]], *, seconds: float, name: str) -> None:
        self.name = name
        self._work, self._seconds = work, seconds
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                handled = await self._work()
                if isinstance(handled, int) and handled:
                    log.info(self.name, count=handled)
            except Exception:
                log.exception("background_work_failed", work=self.name)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._seconds)

    def stop(self) -> None:
        """The loop ends after the call under way, if any."""
        self._stopping.set()
