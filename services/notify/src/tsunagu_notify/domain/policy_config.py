"""The knobs of the contact policy, with their documented defaults (docs/notify.md).

Per environment they are overridden from one TOML file (services/notify/src/tsunagu_notify/policy.toml,
one table per environment); nothing here reads files or the environment.
"""

from datetime import time, timedelta
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from tsunagu_notify.domain.local_time import quiet_window
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
        CapRule(name="sms_day", scope="channel", channel="sms", limit=1, days=1, window="calendar_day",
                on_exceed="defer"),
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


class Cap(NamedTuple):
    """A cap rule as deciding reads it (a tuple: unpacked in the loop, no model attribute lookups)."""

    rolling: bool
    span: timedelta  # the length of a rolling window
    days: int
    limit: int
    platform: bool
    defers: bool

    @classmethod
    def of(cls, rule: CapRule) -> "Cap":
        return cls(rule.window == "rolling", timedelta(days=rule.days), rule.days, rule.limit,
                   rule.scope == "platform", rule.on_exceed == "defer")


class PreparedPolicy:
    """What `decide` looks up in a config, computed once per config instead of once per decision."""

    __slots__ = (
        "backoff_after_unanswered",
        "budget_shrink_per_silent_company",
        "channel_caps",
        "escalation_order",
        "longest_window",
        "min_gap",
        "orders",
        "outreach_caps",
        "quiet_hours",
        "quiet_hours_end",
        "quiet_hours_start",
    )

    def __init__(self, config: PolicyConfig) -> None:
        # In config order: the outreach rules' deferrals are compared in that order.
        self.outreach_caps = tuple(Cap.of(rule) for rule in config.caps if rule.scope != "channel")
        self.channel_caps: dict[Channel, tuple[Cap, ...]] = {}
        for rule in config.caps:
            if rule.scope == "channel" and rule.channel is not None:
                self.channel_caps[rule.channel] = (*self.channel_caps.get(rule.channel, ()), Cap.of(rule))
        self.min_gap = config.min_gap
        self.longest_window = config.longest_window
        self.quiet_hours_start = config.quiet_hours_start
        self.quiet_hours_end = config.quiet_hours_end
        self.quiet_hours: tuple[time, time] | None
        try:  # for whoever set none; a malformed one fails when a decision first needs it, as it did
            self.quiet_hours = quiet_window(config.quiet_hours_start, config.quiet_hours_end)
        except ValueError:
            self.quiet_hours = None
        self.backoff_after_unanswered = config.backoff_after_unanswered
        self.budget_shrink_per_silent_company = config.budget_shrink_per_silent_company
        self.escalation_order = config.escalation_order
        # Channels to try, by her preferred channel (filled as preferences are met).
        self.orders: dict[Channel | None, tuple[Channel, ...]] = {}

    def channel_order(self, preferred: Channel | None) -> tuple[Channel, ...]:
        """Her preferred channel first, then the escalation order."""
        order = self.orders.get(preferred)
        if order is None:
            first = (preferred,) if preferred else ()
            order = self.orders[preferred] = first + tuple(c for c in self.escalation_order if c not in first)
        return order


# By identity: a frozen config is never changed, and a process holds a handful of them. The entry
# keeps its config alive so that its id is not reused by another one while it is cached.
_prepared: dict[int, tuple[PolicyConfig, PreparedPolicy]] = {}


def prepared(config: PolicyConfig) -> PreparedPolicy:
    entry = _prepared.get(id(config))
    if entry is not None and entry[0] is config:
        return entry[1]
    if len(_prepared) >= 64:
        _prepared.clear()
    policy = PreparedPolicy(config)
    _prepared[id(config)] = (config, policy)
    return policy
