"""The scout rules as pure functions (no I/O)."""

import re
import unicodedata
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tsunagu_scout.domain.model import Relation

JST = ZoneInfo("Asia/Tokyo")


class ScoutRefused(Exception):
    """A scout that may not be sent; the message says why, for the recruiter."""


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def check_reason(reason: str, *, template_body: str | None, min_chars: int) -> str:
    """The reason must be written for this student: not empty, not too short, not the template itself.

    Returns the reason stripped; raises ValueError naming the problem."""
    stripped = reason.strip()
    if not stripped:
        raise ValueError("reason is empty: say why you scout this student")
    if len(_normalized(stripped)) < min_chars:
        raise ValueError(f"reason is too short: write at least {min_chars} characters for this student")
    if template_body is not None and _normalized(stripped) == _normalized(template_body):
        raise ValueError("reason is the template body: write why this student in particular")
    return stripped


def month_key(now: datetime) -> str:
    """The quota month, in Japan time (plans are billed by Japanese calendar month)."""
    return now.astimezone(JST).strftime("%Y-%m")


def day_key(now: datetime) -> str:
    return now.astimezone(JST).strftime("%Y-%m-%d")


def request_period(now: datetime, period_days: int) -> int:
    """The index of the "please scout me" period `now` falls in (fixed windows of period_days, JST)."""
    local = now.astimezone(JST).date()
    return local.toordinal() // period_days


AWAITING = "a scout to this student is already awaiting her answer"


def refusal(relation: Relation | None, now: datetime) -> str | None:
    """Why this company may not scout this student now, or None when it may."""
    if relation is None:
        return None
    if relation.blocked:
        return "the student has blocked this company"
    if relation.thread_open:
        return "a thread with this student is open: write there (replies never use quota)"
    if relation.cooldown_until and relation.cooldown_until > now:
        return f"cooldown after a decline or no reply runs until {relation.cooldown_until.isoformat()}"
    return None


def expiry(sent_at: datetime, ttl_days: int) -> datetime:
    return sent_at + timedelta(days=ttl_days)


def cooldown_after(state: str, now: datetime, *, decline_days: int, no_reply_days: int) -> datetime | None:
    """When a closed scout lets the company scout her again (None: no cooldown, e.g. after a reply)."""
    if state == "declined":
        return now + timedelta(days=decline_days)
    if state == "expired":
        return now + timedelta(days=no_reply_days)
    return None
