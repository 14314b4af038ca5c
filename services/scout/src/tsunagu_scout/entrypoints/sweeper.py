"""The periodic task that expires unanswered scouts and frees their slots."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Sweeper:
    """Calls `sweep()` every `every` seconds until stopped; a failing sweep is logged and retried next time."""

    def __init__(self, sweep: Callable[[], Awaitable[int]], *, every: float) -> None:
        self._sweep = sweep
        self._every = every
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scout-expiry-sweeper")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                expired = await self._sweep()
                if expired:
                    log.info("scouts_expired", count=expired)
            except Exception:
                log.exception("scout_sweep_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._every)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
