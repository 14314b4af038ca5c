"""The knobs of the contact policy, with their documented defaults (docs/notify.md).

Per environment they are overridden from one TOML file (services/notify/policy.toml,
one table per environment); nothing here reads files or the environment.
"""

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tsunagu_notify.domain.model import Channel

Scope = Literal["platform", "company", "channel"]
WindowKind = Literal["rolling", "calendar_day"]


class CapRule(BaseModel):
    """At most `limit` counted contacts in a window.

    scope platform: outreach to her from every company; company: outreach from one company;
    channel: every non-critical contact on one channel. A rolling window is `days` long
    ending now; a calendar window is the last `days` calendar days in her time zone."""

    model_config = ConfigDict(frozen=True)

    name: str
    scope: Scope
    limit: int = Field(ge=0)
    days: int = Field(ge=1)
    window: WindowKind = "rolling"
    channel: Channel | None = None
    # suppress: the contact is not made (she still sees it in the app); defer: wait for the window.
    on_exceed: Literal["suppress", "defer"] = "suppress"


class PolicyConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    caps: tuple[CapRule, ...] = (
        CapRule(name="platform_week", scope="platform", limit=5, days=7),
        CapRule(name="platform_day", scope="platform", limit=2, days=1, window="calendar_day", on_exceed="defer"),
        CapRule(name="company_month", scope="company", limit=2, days=30),
        CapRule(name="sms_day", scope="channel", channel="sms", limit=1, days=1, window="calendar_day", on_exceed="defer"),
        CapRule(name="sms_week", scope="channel", channel="sms", limit=3, days=7, on_exceed="defer"),
    )
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "08:00"
    min_gap_minutes: int = 240
    # After this many unanswered outreach contacts from one company, its automatic ones stop.
    backoff_after_unanswered: int = 3
    # Each company she keeps ignoring (streak >= backoff_after_unanswered) takes this off the
    # platform budget, never below 1: the "don't over-call" rule.
    budget_shrink_per_silent_company: int = 1
    # Order tried after the preferred channel (escalation).
    escalation_order: tuple[Channel, ...] = ("line", "email", "sms")
    # Delivery retries (seconds between attempts) for provider errors without Retry-After.
    backoff_ladder_seconds: tuple[float, ...] = (1, 5, 30, 120, 600)
    max_delivery_attempts: int = 6

    @property
    def min_gap(self) -> timedelta:
        return timedelta(minutes=self.min_gap_minutes)

    @property
    def longest_window(self) -> timedelta:
        return timedelta(days=max((c.days for c in self.caps), default=1) + 1)
