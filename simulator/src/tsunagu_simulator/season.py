"""A seeded recruiting season: students, companies with behaviours, and what they send.

Everything here is data (no policy): the intents companies and the platform ask for,
and the students' own signals (replies in the app, STOP / unsubscribe / unfollow).
The same seed gives the same season, whatever the number of worker processes.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

DAY = 86400.0
HOUR = 3600.0
SEASON_START = datetime(2025, 6, 1, 15, 0, tzinfo=UTC)  # Monday 2 June 00:00 in Tokyo
JST = 9 * HOUR

ZONES = (("Asia/Tokyo", 0.82), ("Asia/Singapore", 0.05), ("America/Los_Angeles", 0.04),
         ("Europe/London", 0.05), ("America/New_York", 0.04))
QUIET = ((None, None, 0.7), ("22:00", "07:00", 0.12), ("23:00", "09:00", 0.1), ("00:00", "10:00", 0.05),
         ("20:00", "08:30", 0.03))
PLANS = (("free", 0.4, 0.5), ("standard", 1.0, 0.35), ("premium", 2.5, 0.15))
BEHAVIOURS = (("steady", 0.4), ("burst", 0.2), ("night", 0.15), ("re_scout", 0.15), ("campaigner", 0.1))
# Outreach scouts a student receives on average per day, before the policy (the stress level).
SCOUTS_PER_STUDENT_DAY = 1.25


@dataclass(frozen=True)
class Student:
    index: int
    student_id: str
    name: str
    locale: str
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None
    preferred: str
    consent: dict  # channel -> bool
    popularity: float
    reply_rate: float


@dataclass(frozen=True)
class Company:
    index: int
    company_id: str
    name: str
    recruiter: str
    plan: str
    behaviour: str
    scouts_per_day: float


@dataclass(frozen=True)
class IntentSpec:
    """An intent asked for at `at` (epoch seconds): template, category, company, variables."""

    at: float
    student: int
    template: str
    category: str
    company: int  # -1: the platform
    variables: tuple = ()
    channel: str | None = None


@dataclass(frozen=True)
class Signal:
    """Something the student does: reply to a company, or opt out of a channel."""

    at: float
    student: int
    kind: str  # "reply" | "opt_out"
    company: int = -1
    channel: str | None = None
    source: str | None = None


@dataclass
class Season:
    seed: int
    days: int
    start: float
    students: list[Student]
    companies: list[Company]
    intents: dict[int, list[IntentSpec]] = field(default_factory=lambda: defaultdict(list))
    signals: dict[int, list[Signal]] = field(default_factory=lambda: defaultdict(list))

    @property
    def end(self) -> float:
        return self.start + self.days * DAY

    def intent_count(self) -> int:
        return sum(len(v) for v in self.intents.values())


def _pick(rng: random.Random, table):
    return rng.choices([row[:-1] if len(row) > 2 else row[0] for row in table], weights=[row[-1] for row in table])[0]


def make_students(rng: random.Random, count: int) -> list[Student]:
    students = []
    for i in range(count):
        quiet = _pick(rng, QUIET)
        preferred = rng.choices(("line", "email", "sms"), weights=(0.55, 0.35, 0.10))[0]
        consent = {"email": rng.random() < 0.93, "line": rng.random() < 0.7, "sms": rng.random() < 0.4}
        if rng.random() < 0.03:  # registered, but gave consent on no channel at all
            consent = {c: False for c in consent}
        students.append(Student(
            index=i, student_id=f"stu-{i:05d}", name=f"Student{i:05d}", locale="en" if rng.random() < 0.1 else "ja",
            time_zone=_pick(rng, ZONES), quiet_start=quiet[0], quiet_end=quiet[1], preferred=preferred,
            consent=consent, popularity=rng.lognormvariate(0, 0.9), reply_rate=rng.betavariate(1.2, 6),
        ))
    return students


def make_companies(rng: random.Random, count: int, students: int) -> list[Company]:
    plans = [(name, weight) for name, weight, _ in PLANS]
    picked = [rng.choices(plans, weights=[p[-1] for p in PLANS])[0] for _ in range(count)]
    total_weight = sum(w for _, w in picked) or 1.0
    daily = SCOUTS_PER_STUDENT_DAY * students
    return [
        Company(index=i, company_id=f"co-{i:03d}", name=f"Company{i:03d}株式会社", recruiter=f"Recruiter{i:03d}",
                plan=plan, behaviour=_pick(rng, BEHAVIOURS), scouts_per_day=daily * weight / total_weight)
        for i, (plan, weight) in enumerate(picked)
    ]


def _send_time(rng: random.Random, company: Company, day_start: float, burst_at: float) -> float:
    """When this company's recruiter sends, in Tokyo office terms (day_start = 00:00 JST)."""
    if company.behaviour == "burst":
        return burst_at + rng.uniform(0, 600)
    if company.behaviour == "night":
        return day_start + rng.uniform(21 * HOUR, 26 * HOUR)
    return day_start + rng.uniform(9 * HOUR, 19 * HOUR)


def generate(*, students: int, companies: int, days: int, seed: int, grid: float = 0.001) -> Season:
    """A season of `days` days: every intent and student signal, seeded.

    Moments are rounded to `grid` seconds (milliseconds by default, what the database keeps;
    a coarse grid gives the Kafka replay fewer clock steps)."""
    rng = random.Random(seed)
    people = make_students(rng, students)
    firms = make_companies(rng, companies, students)
    season = Season(seed=seed, days=days, start=SEASON_START.timestamp(), students=people, companies=firms)
    weights = [s.popularity for s in people]
    cumulative = _cumulative(weights)
    for company in firms:
        _company_season(rng, season, company, cumulative)
    _platform_events(rng, season)
    _opt_outs(rng, season)
    for lists in (season.intents, season.signals):
        for key, items in lists.items():
            lists[key] = sorted((_on_grid(x, grid) for x in items), key=lambda x: x.at)
    return season


def _on_grid(item, grid: float):
    from dataclasses import replace

    at = round(round(item.at / grid) * grid, 3)
    return replace(item, at=at)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _company_season(rng: random.Random, season: Season, company: Company, cumulative: list[float]) -> None:
    silent: list[tuple[float, int]] = []
    for day in range(season.days):
        day_start = season.start + day * DAY
        weekday = day % 7
        if company.behaviour == "burst" and weekday not in (0, 3):
            continue
        volume = company.scouts_per_day * (3.5 if company.behaviour == "burst" else 1.0)
        if weekday >= 5:
            volume *= 0.2
        count = _poisson(rng, volume)
        burst_at = day_start + rng.choice((10, 13, 17)) * HOUR
        targets = rng.choices(range(len(season.students)), cum_weights=cumulative, k=count)
        campaign = company.behaviour == "campaigner" and weekday == 1
        for student in targets:
            at = _send_time(rng, company, day_start, burst_at)
            if campaign:
                _campaign(rng, season, company, student, at)
            else:
                replied = _scout(rng, season, company, student, at, "scout_received")
                if not replied:
                    silent.append((at, student))
        if company.behaviour == "re_scout":
            due = [s for s in silent if s[0] < day_start - 7 * DAY]
            silent = [s for s in silent if s[0] >= day_start - 7 * DAY]
            for _, student in due[: max(1, len(due) // 2)]:
                _scout(rng, season, company, student, _send_time(rng, company, day_start, burst_at), "scout_received")


def _poisson(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, mean ** 0.5))) if mean > 30 else _small_poisson(rng, mean)


def _small_poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _add(season: Season, spec: IntentSpec) -> None:
    if season.start <= spec.at < season.end:
        season.intents[spec.student].append(spec)


def _reply(rng: random.Random, season: Season, company: Company, student: int, at: float) -> float | None:
    """She answers in the app (she sees scouts there even when a push was withheld)."""
    if rng.random() >= season.students[student].reply_rate:
        return None
    replied = at + rng.expovariate(1 / (20 * HOUR))
    if replied < season.end:
        season.signals[student].append(Signal(at=replied, student=student, kind="reply", company=company.index))
    return replied


def _scout(rng, season, company, student, at, template) -> bool:
    scout_vars = (("reason", "あなたのロボット研究に惹かれました"),)
    _add(season, IntentSpec(at, student, template, "outreach", company.index, scout_vars))
    replied = _reply(rng, season, company, student, at)
    if replied is None:
        return False
    if rng.random() < 0.3:
        interview = replied + rng.uniform(1, 3) * DAY
        _add(season, IntentSpec(interview, student, "interview_scheduled", "critical", company.index,
                                (("starts_at_local", "6月20日 14:00"),)))
        if rng.random() < 0.35:
            _add(season, IntentSpec(interview + rng.uniform(2, 8) * DAY, student, "offer_issued", "transactional",
                                    company.index, (("respond_by", "2025-07-31"),)))
    return True


def _campaign(rng, season, company, student, at) -> None:
    """An ATS campaign: the template message, then reminders to non-responders (a sequence)."""
    share = (("share_url", f"https://tsunagu.example/c/{company.company_id}"),)
    _add(season, IntentSpec(at, student, "campaign_message", "outreach", company.index, share))
    replied = _reply(rng, season, company, student, at)
    for delay in (2 * DAY, 5 * DAY):
        if replied is None or replied > at + delay:
            _add(season, IntentSpec(at + delay, student, "campaign_reminder", "outreach", company.index, share))


def _platform_events(rng: random.Random, season: Season) -> None:
    """Matching events hosted by the platform: reminders the day before and an hour before."""
    for n in range(max(2, season.days // 2)):
        starts = season.start + rng.uniform(1, season.days) * DAY
        starts -= (starts - season.start) % HOUR
        title = (("event_title", f"合同説明会 #{n + 1}"), ("starts_at_local", "18:00"))
        attendees = rng.sample(range(len(season.students)), k=max(1, len(season.students) // 20))
        cancelled = n == 1
        for student in attendees:
            if cancelled:
                _add(season, IntentSpec(starts - 3 * DAY, student, "event_cancelled", "transactional", -1, title))
                continue
            for before in (DAY, HOUR):
                _add(season, IntentSpec(starts - before, student, "event_reminder", "transactional", -1, title))


def _opt_outs(rng: random.Random, season: Season) -> None:
    """Some students stop: STOP by SMS (one confirmation), an unsubscribe link, a LINE unfollow."""
    for student in season.students:
        for channel, source, rate in (("sms", "sms_stop", 0.04), ("email", "unsubscribe_link", 0.02),
                                      ("line", "line_unfollow", 0.02)):
            if student.consent[channel] and rng.random() < rate:
                at = season.start + rng.uniform(0.5, season.days - 0.5) * DAY
                season.signals[student.index].append(
                    Signal(at=at, student=student.index, kind="opt_out", channel=channel, source=source))
