"""Counting contacts against cap rules (rolling or calendar-day windows in her zone).

A decision works out each window once, from `now` and the same moment already in her zone
(`local`), and counts the moments of the contacts a rule counts (`times`, in any order): the
history is sorted only when a rule is exceeded and the time it frees up is needed.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from tsunagu_notify.domain.local_time import local_midnight
from tsunagu_notify.domain.model import Channel, SendRecord
from tsunagu_notify.domain.policy_config import Cap, PreparedPolicy


def outreach_history(sends: tuple[SendRecord, ...], company: str | None) -> tuple[list[datetime], list[datetime]]:
    """When outreach was counted (platform caps, the minimum gap), and when outreach from
    `company` was (company caps; a digest counts for every company in it). One pass."""
    outreach, from_company = [], []
    for send in sends:
        fields = send.__dict__  # read each field once: a model attribute costs several dict lookups
        if fields["category"] == "outreach":
            at = fields["at"]
            outreach.append(at)
            if company and company in fields["company_ids"]:
                from_company.append(at)
    return outreach, from_company


def cap_free_at(cap: Cap, times: list[datetime], now: datetime, local: datetime, limit: int) -> datetime | None:
    """None when one more contact fits the rule; otherwise when enough of the window frees."""
    rolling = cap.rolling
    # Counted first (a window rarely holds `limit` contacts); listed and sorted only when it does.
    counted = 0
    if rolling:
        start = now - cap.span
        for at in times:
            if at > start:
                counted += 1
    else:
        start = _calendar_start(local.tzinfo, local.toordinal(), cap.days)
        for at in times:
            if at >= start:
                counted += 1
    if counted < limit:
        return None
    inside = sorted(at for at in times if at > start) if rolling else sorted(at for at in times if at >= start)
    # The (len - limit + 1)-th oldest contact must leave the window before one more fits.
    oldest_to_leave = inside[len(inside) - limit]
    if rolling:
        return oldest_to_leave + cap.span
    return local_midnight(oldest_to_leave.astimezone(local.tzinfo), cap.days)


@lru_cache(maxsize=4096)
def _calendar_start(tz: ZoneInfo, today: int, days: int) -> datetime:
    """Where a window of the last `days` calendar days (today included) starts: midnight in her
    zone, as a UTC moment. Cached per zone and day: every decision of her day starts it there, and
    a UTC moment compares with the (UTC) send times without a zone lookup each time."""
    midnight = datetime.fromordinal(today) + timedelta(days=1 - days)
    return midnight.replace(tzinfo=tz).astimezone(UTC)


def channel_cap_free_at(
    channel: Channel, sends: tuple[SendRecord, ...], now: datetime, local: datetime, policy: PreparedPolicy
) -> datetime | None:
    """None when the channel's caps allow one more contact now; else when they will."""
    caps = policy.channel_caps.get(channel)
    if not caps:
        return None
    times = [s.at for s in sends if s.channel == channel]
    blocked = [free_at for cap in caps
               if len(times) >= cap.limit and (free_at := cap_free_at(cap, times, now, local, cap.limit)) is not None]
    return max(blocked) if blocked else None


def silent_companies(unanswered: dict[str, int], policy: PreparedPolicy) -> int:
    """How many companies she keeps ignoring (their streak reached the backoff threshold)."""
    threshold = policy.backoff_after_unanswered
    return sum(1 for n in unanswered.values() if n >= threshold)
