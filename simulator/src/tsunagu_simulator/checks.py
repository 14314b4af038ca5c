"""Hard checks, recomputed from what was delivered — never by asking the policy.

Each check reads the delivered log, the student's own profile (zone, quiet hours,
consent), her opt-out moments and the configured caps, with its own arithmetic on
local times, so a broken rule in the policy shows up here as a FAIL.
"""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tsunagu_notify.domain.policy_config import CapRule, PolicyConfig

from tsunagu_simulator.engine import SENDER, Lived
from tsunagu_simulator.season import Season

CHECKS = ("caps", "quiet_hours", "after_opt_out", "consent", "sender_identification", "reasons")
SEND_REASONS = {"allowed", "escalated", "opt_out_confirmation", "digest_due"}
SKIP_REASONS = {"unknown_recipient", "unknown_template", "no_consent", "opted_out", "not_before", "quiet_hours",
                "platform_cap", "company_cap", "channel_cap", "min_gap", "backoff", "duplicate", "digested",
                "cancelled", "blocked"}
CONFIRMATION = "opt_out_confirmation"
_zones: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    if name not in _zones:
        _zones[name] = ZoneInfo(name)
    return _zones[name]


def local(ts: float, tz: str) -> datetime:
    return datetime.fromtimestamp(ts, UTC).astimezone(_zone(tz))


def check_student(lived: Lived, season: Season, config: PolicyConfig) -> Counter:
    """Violations per check for one student (an empty Counter when she was treated right)."""
    found: Counter = Counter()
    student = lived.student
    deliveries = lived.deliveries
    local_dates = [local(d.at, student.time_zone).date() for d in deliveries]
    for rule in config.caps:
        found[f"cap:{rule.name}"] += _over_cap(rule, deliveries, local_dates)
    found["quiet_hours"] += _in_quiet_hours(lived, config)
    found["after_opt_out"] += _after_opt_out(lived, season)
    found["consent"] += sum(1 for d in deliveries if d.template != CONFIRMATION and not _consented(student, d.channel))
    found["sender_identification"] += sum(1 for d in deliveries if not identifies_sender(d, student))
    found["reasons"] += sum(1 for row in lived.decisions if not _reason_ok(row))
    found["reasons"] += len(lived.refused)
    return +found


def _counted(rule: CapRule, delivery) -> bool:
    if delivery.template == CONFIRMATION:
        return False  # the opt-out confirmation is her own request, not a contact
    if rule.scope == "channel":
        return delivery.channel == rule.channel
    return delivery.category == "outreach"


def _over_cap(rule: CapRule, deliveries, local_dates: list[date]) -> int:
    """Deliveries made while the rule's window already held `limit` counted contacts."""
    over = 0
    keys = [None] if rule.scope != "company" else sorted({c for d in deliveries for c in d.company_ids})
    for company in keys:
        rows = [(d, day) for d, day in zip(deliveries, local_dates, strict=True)
                if _counted(rule, d) and (company is None or company in d.company_ids)]
        for i, (d, day) in enumerate(rows):
            if rule.scope == "channel" and d.category == "critical":
                continue  # critical passes channel caps (it is still counted)
            if rule.scope != "channel" and d.category != "outreach":
                continue
            if rule.window == "rolling":
                inside = sum(1 for e, _ in rows[: i + 1] if e.at > d.at - rule.days * 86400)
            else:
                first = day - timedelta(days=rule.days - 1)
                inside = sum(1 for _, other in rows[: i + 1] if first <= other <= day)
            if inside > rule.limit:
                over += 1
    return over


def _quiet_window(lived: Lived, config: PolicyConfig) -> tuple[time, time]:
    s = lived.student
    start, end = (s.quiet_start, s.quiet_end) if s.quiet_start else (config.quiet_hours_start, config.quiet_hours_end)
    return time.fromisoformat(start), time.fromisoformat(end)


def is_quiet(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    return start <= moment < end if start < end else (moment >= start or moment < end)


def _in_quiet_hours(lived: Lived, config: PolicyConfig) -> int:
    start, end = _quiet_window(lived, config)
    tz = lived.student.time_zone
    # Critical messages may pass quiet hours; the confirmation answers her own STOP at once.
    return sum(1 for d in lived.deliveries if d.category != "critical" and d.template != CONFIRMATION
               and is_quiet(local(d.at, tz).time(), start, end))


def _after_opt_out(lived: Lived, season: Season) -> int:
    stopped: dict[str, float] = {}
    for signal in season.signals.get(lived.student.index, ()):
        if signal.kind == "opt_out":
            stopped.setdefault(signal.channel, signal.at)
    bad, confirmations = 0, Counter()
    for d in lived.deliveries:
        since = stopped.get(d.channel)
        if since is None or d.at < since:
            continue
        if d.template == CONFIRMATION and confirmations[d.channel] == 0:
            confirmations[d.channel] += 1
            continue
        bad += 1
    return bad


def _consented(student, channel: str) -> bool:
    return bool(student.consent.get(channel))


def identifies_sender(delivery, student) -> bool:
    """Email and SMS name the company, her, the operator, how to stop and a contact point."""
    body = delivery.body
    if delivery.channel not in ("email", "sms"):
        return delivery.company_name in body and "Tsunagu" in body
    operator = SENDER.operator if student.locale == "ja" else SENDER.operator_en
    stop = ("/unsubscribe/" in body) if delivery.channel == "email" else ("停止" in body or "STOP" in body)
    return all((delivery.company_name in body, student.name in body, operator in body, SENDER.contact in body, stop))


def _reason_ok(row) -> bool:
    _, _, _, action, reason, channel, until, into = row
    if action == "send":
        return reason in SEND_REASONS and channel is not None
    if reason not in SKIP_REASONS:
        return False
    if action == "defer":
        return until is not None
    if action == "digest":
        return into is not None
    return True


def verdicts(violations: Counter, config: PolicyConfig) -> dict[str, str]:
    """PASS / FAIL per hard check; `caps` fails when any one cap rule was exceeded."""
    names = [f"cap:{rule.name}" for rule in config.caps] + list(CHECKS[1:])
    result = {name: "PASS" if violations.get(name, 0) == 0 else "FAIL" for name in names}
    result["caps"] = "FAIL" if any(v == "FAIL" for k, v in result.items() if k.startswith("cap:")) else "PASS"
    return result
