"""Time in the recipient's own zone: quiet hours (also across midnight) and calendar days."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Tokyo")


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(now: datetime, tz: str, start: str, end: str) -> bool:
    """Whether `now` falls in the quiet window [start, end) of her local day."""
    local = now.astimezone(zone(tz)).time()
    begin, finish = _clock(start), _clock(end)
    if begin == finish:
        return False
    if begin < finish:
        return begin <= local < finish
    return local >= begin or local < finish  # the window crosses midnight


def next_allowed(now: datetime, tz: str, start: str, end: str) -> datetime:
    """The first moment at or after `now` outside the quiet window."""
    if not in_quiet_hours(now, tz, start, end):
        return now
    local = now.astimezone(zone(tz))
    finish = _clock(end)
    candidate = local.replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    # replace() keeps the old UTC offset; re-localise so a DST change in between is respected.
    naive = candidate.replace(tzinfo=None)
    return naive.replace(tzinfo=zone(tz)).astimezone(now.tzinfo)


def local_day_start(moment: datetime, tz: str) -> datetime:
    """Midnight of the calendar day of `moment`, in her zone."""
    local = moment.astimezone(zone(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).replace(tzinfo=None).replace(
        tzinfo=zone(tz)
    )


def add_local_days(midnight: datetime, days: int, tz: str) -> datetime:
    """Midnight `days` calendar days later in her zone."""
    naive = midnight.astimezone(zone(tz)).replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=zone(tz))
