"""The one clock every handler reads, so tests and demo stacks can move time instead of waiting.

Handlers take a `Clock` and call `clock.now()` (never `datetime.now()` themselves): a service
is built with `SYSTEM_CLOCK`, a test with a `SettableClock` it moves.
"""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


class SettableClock:
    """A clock that can be set to a moment and moved on. It keeps flowing from the moment it was
    set (so retries and timeouts still fall due; a demo stack's clock), or with `frozen=True` it
    reads the same moment until it is moved (a test that compares exact times)."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._frozen = frozen
        self._offset = timedelta()
        self._at = start or datetime.now(UTC)
        if start is not None and not frozen:
            self.set(start)

    def now(self) -> datetime:
        return self._at if self._frozen else datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        if self._frozen:
            self._at = moment
        else:
            self._offset = moment - datetime.now(UTC)

    def advance(self, **delta: float) -> None:
        """Move on by `timedelta(**delta)` (`advance(days=31)`)."""
        self.set(self.now() + timedelta(**delta))
