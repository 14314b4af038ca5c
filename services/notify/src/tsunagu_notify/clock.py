"""The clock the policy and the scheduler read; tests shift it instead of waiting."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """Wall time plus an offset that can be moved: time still flows, so retries still fall due."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta()
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        self._offset = moment - datetime.now(UTC)
