"""What a season did, summed over students: mergeable counters (one per worker process)."""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tsunagu_simulator.checks import check_student, local
from tsunagu_simulator.engine import Lived
from tsunagu_simulator.season import DAY, Season

WAIT_BUCKET = 600  # seconds: waits are kept as a histogram of 10-minute buckets
EXAMPLES = 5


@dataclass
class Aggregate:
    students: int = 0
    intents: int = 0
    decisions: int = 0
    deliveries: int = 0
    per_day: Counter = field(default_factory=Counter)  # contacts in one of her local days -> student-days
    per_week: Counter = field(default_factory=Counter)
    outreach_per_day: Counter = field(default_factory=Counter)
    per_channel_day: dict = field(default_factory=lambda: defaultdict(Counter))
    channels: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)  # (action, reason) over every decision
    fates: Counter = field(default_factory=Counter)  # (template, outcome) per intent
    hours: Counter = field(default_factory=Counter)  # (category, local hour)
    waits: Counter = field(default_factory=Counter)  # wait bucket -> deliveries after a deferral
    company_sent: Counter = field(default_factory=Counter)
    company_skipped: Counter = field(default_factory=Counter)
    company_max_to_one: Counter = field(default_factory=Counter)
    violations: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=lambda: defaultdict(list))
    loops: int = 0
    top: tuple = (-1, "")  # (deliveries, student_id)
    top_lived: Lived | None = None

    def merge(self, other: "Aggregate") -> "Aggregate":
        for name in ("students", "intents", "decisions", "deliveries", "loops"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("per_day", "per_week", "outreach_per_day", "channels", "by_reason", "fates", "hours", "waits",
                     "company_sent", "company_skipped", "violations"):
            getattr(self, name).update(getattr(other, name))
        for company, n in other.company_max_to_one.items():
            self.company_max_to_one[company] = max(self.company_max_to_one[company], n)
        for channel, counts in other.per_channel_day.items():
            self.per_channel_day[channel].update(counts)
        for check, rows in other.examples.items():
            self.examples[check] = (self.examples[check] + rows)[:EXAMPLES]
        if (other.top[0], _rank(other.top[1])) > (self.top[0], _rank(self.top[1])):
            self.top, self.top_lived = other.top, other.top_lived
        return self


def _rank(student_id: str) -> str:
    # Ties go to the lowest id, so the winner does not depend on how students were split.
    return "".join(chr(0x10FFFF - ord(c)) for c in student_id)


def add_student(agg: Aggregate, lived: Lived, season: Season, config) -> None:
    """Fold one student's season into the aggregate (checks included)."""
    student = lived.student
    agg.students += 1
    agg.intents += len(lived.intents)
    agg.decisions += len(lived.decisions)
    agg.deliveries += len(lived.deliveries)
    agg.loops += lived.loops
    first = local(season.start, student.time_zone).date()
    days = [0] * season.days
    outreach = [0] * season.days
    channel_days: dict[str, list[int]] = {c: [0] * season.days for c in ("line", "email", "sms")}
    by_company: Counter = Counter()
    for d in lived.deliveries:
        moment = local(d.at, student.time_zone)
        day = min(max((moment.date() - first).days, 0), season.days - 1)
        days[day] += 1
        channel_days[d.channel][day] += 1
        agg.channels[d.channel] += 1
        agg.hours[(d.category, moment.hour)] += 1
        if d.category == "outreach":
            outreach[day] += 1
        for company in d.company_ids:
            by_company[company] += 1
    agg.per_day.update(days)
    agg.outreach_per_day.update(outreach)
    agg.per_week.update(sum(days[w:w + 7]) for w in range(0, season.days, 7))
    for channel, counts in channel_days.items():
        agg.per_channel_day[channel].update(counts)
    agg.company_sent.update(by_company)
    for company, n in by_company.items():
        agg.company_max_to_one[company] = max(agg.company_max_to_one[company], n)
    for row in lived.decisions:
        agg.by_reason[(row[3], row[4])] += 1
    _add_fates(agg, lived)
    violations = check_student(lived, season, config)
    agg.violations.update(violations)
    for check in violations:
        if len(agg.examples[check]) < EXAMPLES:
            agg.examples[check].append(student.student_id)
    if (len(lived.deliveries), _rank(student.student_id)) > (agg.top[0], _rank(agg.top[1])):
        agg.top, agg.top_lived = (len(lived.deliveries), student.student_id), lived


def _add_fates(agg: Aggregate, lived: Lived) -> None:
    """How each of her intents ended, how long a sent one waited, and what companies did not get through."""
    for intent_id, (outcome, at) in lived.fate.items():
        requested, template, _, company = lived.intents[intent_id]
        agg.fates[(template, outcome)] += 1
        if outcome in ("sent_after_deferral", "sent_in_digest"):
            agg.waits[int((at - requested) // WAIT_BUCKET)] += 1
        elif outcome in ("sent",):
            agg.waits[0] += 1
        if company and not outcome.startswith("sent"):
            agg.company_skipped[company] += 1


def percentile(histogram: Counter, q: float) -> float:
    """The q-quantile (0..1) of a value -> count histogram (nearest rank)."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    rank, seen = max(1, math.ceil(q * total)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


def distribution(histogram: Counter) -> dict:
    return {"max": max(histogram) if histogram else 0, "p99": percentile(histogram, 0.99),
            "median": percentile(histogram, 0.5), "mean": round(
                sum(k * v for k, v in histogram.items()) / max(1, sum(histogram.values())), 3)}


def waits_hours(histogram: Counter) -> dict:
    delayed = Counter({k: v for k, v in histogram.items() if k > 0})
    as_hours = lambda b: round(b * WAIT_BUCKET / 3600, 2)  # noqa: E731
    return {"delayed_deliveries": sum(delayed.values()), "median_h": as_hours(percentile(delayed, 0.5)),
            "p99_h": as_hours(percentile(delayed, 0.99)), "max_h": as_hours(max(delayed) if delayed else 0)}


__all__ = ["DAY", "Aggregate", "add_student", "distribution", "percentile", "waits_hours"]
