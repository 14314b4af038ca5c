"""Moments a client sends (deadlines, start times, filters): only those Tsunagu can compute with.

`9999-12-31T23:00:00-14:00` is a valid ISO 8601 time, but it is in the year 10000 in UTC, which
Python's datetime cannot hold: converting it, or adding a reminder's days to it, raises. A request
field of these types is refused (422 naming the field) unless it lies within `EARLIEST` and `LATEST`
in UTC, which leaves room for every day arithmetic of the services.
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def within_range(value: datetime) -> datetime:
    """The moment as given; ValueError when it lies outside the years Tsunagu computes with."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year} (UTC)")
    return value


# Any date-time, with or without offset (as the field accepted before), within the range.
Moment = Annotated[datetime, AfterValidator(within_range)]
# A date-time with its offset (e.g. 2026-12-01T18:00:00+09:00), within the range.
AwareMoment = Annotated[AwareDatetime, AfterValidator(within_range)]
