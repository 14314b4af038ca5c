"""Counting contacts against cap rules (rolling or calendar-day windows in her zone)."""

from datetime import datetime, timedelta

from tsunagu_notify.domain.local_time import add_local_days, local_day_start
from tsunagu_notify.domain.model import Channel, RecipientState, SendRecord
from tsunagu_notify.domain.policy_config import CapRule, PolicyConfig


def _counts(rule: CapRule, record: SendRecord, company: str | None) -> bool:
    if rule.scope == "platform":
        return record.category == "outreach"
    if rule.scope == "company":
        return record.category == "outreach" and company in record.company_ids
    return record.channel == rule.channel


def _window_start(rule: CapRule, now: datetime, tz: str) -> datetime:
    if rule.window == "rolling":
        return now - timedelta(days=rule.days)
    return add_local_days(local_day_start(now, tz), -(rule.days - 1), tz)


def _expires(rule: CapRule, record: SendRecord, tz: str) -> datetime:
    if rule.window == "rolling":
        return record.at + timedelta(days=rule.days)
    return add_local_days(local_day_start(record.at, tz), rule.days, tz)


def cap_blocks(
    rule: CapRule, state: RecipientState, now: datetime, *, company: str | None = None, shrink: int = 0
) -> datetime | None:
    """None when one more contact fits the rule; otherwise when enough of the window frees."""
    limit = max(1, rule.limit - shrink) if shrink else rule.limit
    start = _window_start(rule, now, state.time_zone)
    inside = sorted(s.at for s in state.sends if s.at > start and _counts(rule, s, company)) if rule.window == "rolling" \
        else sorted(s.at for s in state.sends if s.at >= start and _counts(rule, s, company))
    if len(inside) < limit:
        return None
    # The (len - limit + 1)-th oldest contact must leave the window before one more fits.
    oldest_to_leave = inside[len(inside) - limit]
    return _expires(rule, SendRecord(at=oldest_to_leave, channel="email", category="outreach"), state.time_zone)


def channel_cap_free_at(channel: Channel, state: RecipientState, now: datetime, config: PolicyConfig) -> datetime | None:
    """None when the channel's caps allow one more contact now; else when they will."""
    blocked = [
        free_at
        for rule in config.caps
        if rule.scope == "channel" and rule.channel == channel
        if (free_at := cap_blocks(rule, state, now)) is not None
    ]
    return max(blocked) if blocked else None


def silent_companies(state: RecipientState, config: PolicyConfig) -> int:
    """How many companies she keeps ignoring (their streak reached the backoff threshold)."""
    return sum(1 for n in state.unanswered.values() if n >= config.backoff_after_unanswered)
