"""What every handler needs: the clock, the event source, loading a thread the caller may see."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

import structlog

from tsunagu_shared.auth import Principal

from tsunagu_messaging.adapters.threads import MongoThreadRepository
from tsunagu_messaging.domain.threads import Side, Thread, ThreadNotVisible, side_of

SOURCE = "tsunagu/messaging"
log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class NotFound(Exception):
    """Nothing with this id that the caller may see."""


async def visible_thread(threads: MongoThreadRepository, thread_id: str, principal: Principal) -> tuple[Thread, Side]:
    """The thread and the caller's side in it; ThreadNotVisible for a missing thread or a stranger."""
    thread = await threads.get(thread_id)
    if thread is None:
        raise ThreadNotVisible(thread_id)
    return thread, side_of(thread, principal)


def every(seconds: float, work: Callable[[], Awaitable[object]], *, name: str) -> Callable[[], Awaitable[None]]:
    """A background loop for Infrastructure.add_task: run `work` every `seconds`; log a failure and go on."""

    async def loop() -> None:
        while True:
            try:
                await work()
            except Exception:
                log.exception("background_work_failed", work=name)
            await asyncio.sleep(seconds)

    return loop
