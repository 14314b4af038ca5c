"""Compare-and-set writes, tried again when another write got there first.

FerretDB has no multi-document transactions, so a change that depends on what it read is
written only if the document is still as read (its `version`, a field's value). When another
writer changed it meanwhile, the write refuses (`WriteConflict`) and the change is decided again
on the fresh document. After a few lost races the caller is told to retry later (`busy`), rather
than a request holding on under contention.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_ATTEMPTS = 3


class WriteConflict(Exception):
    """A compare-and-set write found the document changed since it was read."""


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], *, busy: Callable[[], Exception],
                            attempts: int = DEFAULT_ATTEMPTS,
                            conflicts: tuple[type[Exception], ...] = (WriteConflict,)) -> T:
    """`attempt()` reads, decides and writes; when it raises one of `conflicts` it is run again, up
    to `attempts` times, after which `busy()` is raised (an error the API answers, such as a 409 or
    a 503 with Retry-After)."""
    for _ in range(attempts):
        try:
            return await attempt()
        except conflicts:
            continue
    raise busy()
