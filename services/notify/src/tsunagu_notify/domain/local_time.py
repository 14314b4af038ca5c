"""Time in the recipient's own zone: quiet hours (also across midnight) and calendar days."""

from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


# Cached: the policy asks for her zone and her quiet hours on every decision. Bounded, because a
# zone name comes from her profile (an unknown one falls back to Tokyo and is cached as such).
@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Tokyo")


@lru_cache(maxsize=256)
def quiet_window(start: str, end: str) -> tuple[time, time]:
    """The quiet window [start, end) as clock times ("21:00", "08:00")."""
    return _clock(start), _clock(end)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_at(local: datetime, window: tuple[time, time]) -> bool:
    """Whether a moment already in her zone falls in the quiet window of her local day."""
    begin, finish = window
    if begin == finish:
        return False
    clock = local.time()
    if begin < finish:
        return begin <= clock < finish
    return clock >= begin or clock < finish  # the window crosses midnight


def in_quiet_hours(now: datetime, tz: str, start: str, end: str) -> bool:
    """Whether `now` falls in the quiet window [start, end) of her local day."""
    return quiet_at(now.astimezone(zone(tz)), quiet_window(start, end))


def next_allowed(now: datetime, tz: str, start: str, end: str) -> datetime:
    """The first moment at or after `now` outside the quiet window."""
    local = now.astimezone(zone(tz))
    window = quiet_window(start, end)
    if not quiet_at(local, window):
        return now
    finish = window[1]
    candidate = local.replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    # replace() keeps the old UTC offset; re-localise so a DST change in between is respected.
    naive = candidate.replace(tzinfo=None)
    return naive.replace(tzinfo=zone(tz)).astimezone(now.tzinfo)


def local_midnight(local: datetime, days: int = 0) -> datetime:
    """Midnight of the calendar day of `local` (a moment already in her zone), moved by `days`
    calendar days: in her zone, whatever the UTC offset that day (DST)."""
    naive = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=local.tzinfo)
