"""The JSON summary of a season: distributions, reasons, fates, checks, the most-contacted student."""

from collections import Counter, defaultdict

from tsunagu_notify.domain.policy_config import PolicyConfig

from tsunagu_simulator.checks import local, verdicts
from tsunagu_simulator.run import Outcome
from tsunagu_simulator.season import Season
from tsunagu_simulator.stats import WAIT_BUCKET, distribution, waits_hours

NEVER = ("suppressed:", "lost_with_digest_holder", "refused_by_renderer", "policy_loop", "pending_at_end",
         "digested_waiting")


def summarise(season: Season, config: PolicyConfig, outcome: Outcome) -> dict:
    """Everything the report shows, as plain JSON-able data (stable for a seed)."""
    agg = outcome.aggregate
    return {
        "season": {"students": len(season.students), "companies": len(season.companies), "days": season.days,
                   "seed": season.seed, "intents": agg.intents, "decisions": agg.decisions,
                   "deliveries": agg.deliveries},
        "performance": {"seconds": round(outcome.seconds, 2), "workers": outcome.workers,
                        "decisions_per_second": round(outcome.decisions_per_second)},
        "contacts_per_student_day": distribution(agg.per_day),
        "contacts_per_student_week": distribution(agg.per_week),
        "outreach_per_student_day": distribution(agg.outreach_per_day),
        "per_channel": {c: {"deliveries": agg.channels.get(c, 0), "per_student_day": distribution(h)}
                        for c, h in sorted(agg.per_channel_day.items())},
        "decisions_by_reason": _nested(agg.by_reason),
        "intent_fates": _nested(agg.fates),
        "scouts": scout_outcomes(agg.fates),
        "deferral_wait": waits_hours(agg.waits),
        "delivery_hours_local": {cat: [agg.hours.get((cat, h), 0) for h in range(24)]
                                 for cat in sorted({c for c, _ in agg.hours})},
        "companies": _companies(season, agg),
        "checks": verdicts(agg.violations, config),
        "violations": dict(sorted(agg.violations.items())),
        "violation_examples": {k: v for k, v in sorted(agg.examples.items())},
        "policy_loops": agg.loops,
        "most_contacted": most_contacted(agg.top_lived),
    }


def _nested(counter: Counter) -> dict:
    out: dict = defaultdict(dict)
    for (a, b), n in sorted(counter.items()):
        out[a][b] = n
    return dict(out)


def scout_outcomes(fates: Counter) -> dict:
    """What became of scouts: at once, delayed (deferred or in a digest), never delivered."""
    rows = {k[1]: n for k, n in fates.items() if k[0] == "scout_received"}
    total = sum(rows.values())
    delayed = rows.get("sent_after_deferral", 0) + rows.get("sent_in_digest", 0)
    never = sum(n for k, n in rows.items() if k.startswith(NEVER))
    return {"total": total, "sent_at_once": rows.get("sent", 0), "delayed": delayed, "never_delivered": never}


def _companies(season: Season, agg) -> list[dict]:
    rows = []
    for company in season.companies:
        cid = company.company_id
        rows.append({"company_id": cid, "plan": company.plan, "behaviour": company.behaviour,
                     "delivered": agg.company_sent.get(cid, 0), "not_delivered": agg.company_skipped.get(cid, 0),
                     "max_to_one_student": agg.company_max_to_one.get(cid, 0)})
    return rows


def most_contacted(lived) -> dict | None:
    """The student who received the most messages, with her full decision log."""
    if lived is None:
        return None
    s = lived.student
    log = []
    for at, intent_id, attempt, action, reason, channel, until, into in lived.decisions:
        _requested, template, category, company = lived.intents[intent_id]
        log.append({"at_local": local(at, s.time_zone).isoformat(timespec="minutes"), "intent_id": intent_id,
                    "attempt": attempt, "template": template, "category": category, "company_id": company,
                    "action": action, "reason": reason, "channel": channel,
                    "until_local": local(until, s.time_zone).isoformat(timespec="minutes") if until else None,
                    "into": into})
    return {"student_id": s.student_id, "time_zone": s.time_zone, "preferred_channel": s.preferred,
            "quiet_hours": [s.quiet_start or "21:00", s.quiet_end or "08:00"], "consent": s.consent,
            "deliveries": len(lived.deliveries), "decision_log": log}


__all__ = ["WAIT_BUCKET", "summarise"]
