"""The same small season through the deployed path: notify in-process on the real broker
and database, with the provider emulators, on a clock the simulator moves.

Directory (ContactPreferencesChanged, replies) and intents (NotificationRequested) are
published on the real topics; LINE links and opt-outs go through notify's API and
signal handler; at each step the clock is set, and the replay waits until notify has
decided everything due. Then every intent's decisions (attempt, action, reason, channel)
are compared with the in-process replay of the same season."""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tsunagu_notify.config import NotifySettings
from tsunagu_notify.domain.policy import CONFIRMATION_TEMPLATE
from tsunagu_notify.entrypoints.api import create_app
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ReplyReceived
from tsunagu_shared.kafka.producer import EventPublisher
from tsunagu_shared.testing import bearer, isolated_settings, running_service

from tsunagu_simulator.engine import CONSENT_AT, line_user_id, live_season, preferences_event, requests_for
from tsunagu_simulator.season import Season, generate

SOURCE = "tsunagu/simulator"


class StepClock:
    """A clock that only moves when told: notify decides at exactly the simulated moment."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


@dataclass
class Agreement:
    intents: int
    compared: int
    mismatches: list = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    # (action, reason) over the in-process decisions: what the comparison exercised.
    reasons: dict = field(default_factory=dict)
    # Templates of intents the pipeline decided that the simulator did not ask for.
    pipeline_only: dict = field(default_factory=dict)

    @property
    def agree(self) -> bool:
        return not self.mismatches and self.compared == self.intents

    def summary_line(self) -> str:
        verdict = "PASS" if self.agree else "FAIL"
        return (f"{verdict} {self.compared}/{self.intents} intents decided alike in-process and through the pipeline "
                f"({self.steps} clock steps, {self.seconds:.1f} s); pipeline-only intents: {self.pipeline_only}; "
                f"mismatches: {self.mismatches[:5]}")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Replay:
    """Drives one season through a running notify app."""

    def __init__(self, season: Season, app, client, publisher, clock: StepClock, timeout: float) -> None:
        self.season, self.app, self.client, self.publisher, self.clock = season, app, client, publisher, clock
        self.container = app.state.container
        self.store = self.container.store
        self.timeout = timeout
        self.steps = 0

    async def until(self, condition, what: str) -> None:
        import asyncio

        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if await condition():
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"notify did not finish: {what}")

    async def directory(self) -> None:
        self.clock.set(CONSENT_AT)
        for student in self.season.students:
            await self.publisher.publish(Envelope.wrap(preferences_event(student), source=SOURCE))
        ids = [s.student_id for s in self.season.students]
        await self.until(lambda: self._count("recipients", {"_id": {"$in": ids}, "state.known": True}, len(ids)),
                         "directory")
        headers = bearer(self.app.state.settings, role="admin", subject="simulator")
        for student in self.season.students:
            if student.consent["line"]:
                answer = await self.client.put(f"/recipients/{student.student_id}/line",
                                               json={"line_user_id": line_user_id(student)}, headers=headers)
                assert answer.status_code == 204, answer.text

    async def _count(self, collection: str, query: dict, expected: int) -> bool:
        return await self.store.db[collection].count_documents(query) >= expected

    async def play(self) -> None:
        timeline = self._timeline()
        position, end = 0, self.season.end
        while True:
            due = await self.store.scheduled.find_one({"status": "pending"}, sort=[("due_at", 1)])
            next_due = _aware(due["due_at"]).timestamp() if due else None
            next_event = timeline[position][0] if position < len(timeline) else None
            moments = [m for m in (next_due, next_event) if m is not None]
            if not moments or min(moments) >= end:
                return
            now = min(moments)
            self.clock.set(_dt(now))
            self.steps += 1
            batch = []
            while position < len(timeline) and timeline[position][0] == now:
                batch.append(timeline[position])
                position += 1
            await self._signals([b for b in batch if b[1] == 0])
            await self._drain_due(now)
            await self._intents([b for b in batch if b[1] == 2])

    def _timeline(self) -> list[tuple]:
        rows = []
        for student in self.season.students:
            for n, request in enumerate(requests_for(self.season, student)):
                rows.append((request.requested_at.timestamp(), 2, student.index, n, request))
            for n, signal in enumerate(self.season.signals.get(student.index, ())):
                rows.append((signal.at, 0, student.index, n, signal))
        rows.sort(key=lambda r: r[:4])
        return rows

    async def _signals(self, batch: list) -> None:
        replies, confirmations = [], []
        for _, _, index, _, signal in batch:
            student = self.season.students[index]
            if signal.kind == "reply":
                company = self.season.companies[signal.company]
                reply = ReplyReceived(thread_id=f"th-{index}-{signal.company}", message_id=f"m-{index}-{signal.at}",
                                      company_id=company.company_id, candidate_id=student.student_id,
                                      replied_at=self.clock.now())
                envelope = Envelope.wrap(reply, source=SOURCE)
                await self.publisher.publish(envelope)
                replies.append(envelope.id)
            else:
                confirm = signal.source == "sms_stop"
                changed = await self.container.signals.opt_out(student.student_id, signal.channel, signal.source,
                                                               confirm=confirm)
                if changed and confirm:
                    confirmations.append(student.student_id)
        if replies:
            await self.until(lambda: self._count("processed_events.notify", {"_id": {"$in": replies}}, len(replies)),
                             "replies")
        for recipient in confirmations:
            await self.until(lambda r=recipient: self._count(
                "decisions", {"recipient_id": r, "template": CONFIRMATION_TEMPLATE}, 1), "confirmation")

    async def _drain_due(self, now: float) -> None:
        moment = _dt(now)
        await self.until(lambda: self._none_due(moment), "deferred intents")

    async def _none_due(self, moment: datetime) -> bool:
        return await self.store.scheduled.count_documents(
            {"status": {"$in": ["pending", "claimed"]}, "due_at": {"$lte": moment}}) == 0

    async def _intents(self, batch: list) -> None:
        if not batch:
            return
        for *_, request in batch:
            await self.publisher.publish(Envelope.wrap(request, source=SOURCE))
        ids = [f"{request.intent_id}:0" for *_, request in batch]
        await self.until(lambda: self._count("decisions", {"_id": {"$in": ids}}, len(ids)), "new intents")

    async def decisions(self) -> tuple[dict[str, list], dict[str, str]]:
        """Decisions per intent, and the template of every intent notify decided."""
        out: dict[str, list] = defaultdict(list)
        templates: dict[str, str] = {}
        async for doc in self.store.decisions.find({}):
            key = doc["intent_id"]
            if doc.get("template") == CONFIRMATION_TEMPLATE:
                key = f"{doc['recipient_id']}:stop:sms"
            out[key].append((doc["attempt"], doc["action"], doc["reason"], doc.get("channel")))
            templates[key] = doc.get("template", "?")
        return {k: sorted(v) for k, v in out.items()}, templates


def in_process(season: Season, config) -> dict[str, list]:
    """The same season's decisions per intent, replayed in-process."""
    out: dict[str, list] = defaultdict(list)
    for student in season.students:
        for row in live_season(season, student, config).decisions:
            out[row[1]].append((row[2], row[3], row[4], row[5]))
    return {k: sorted(v) for k, v in out.items()}


async def compare_through_kafka(config=None, *, students: int = 30, companies: int = 5, days: int = 3, seed: int = 7,
                                grid: float = 1800, timeout: float = 60.0) -> Agreement:
    """Replay a small season through the pipeline and in-process; compare decisions per intent.

    The pipeline decides with its own policy (its environment's table of policy.toml); the
    in-process replay uses that same configuration, so only the path differs. `config` is
    accepted for symmetry with the CLI and ignored in favour of the pipeline's own."""
    from tsunagu_emulators import EmulatorPorts, start_emulators

    season = generate(students=students, companies=companies, days=days, seed=seed, grid=grid)
    started = time.perf_counter()
    emulators = await start_emulators(EmulatorPorts(control=0, twilio=0, line=0, smtp=0))
    clock = StepClock(_dt(season.start))
    try:
        settings = isolated_settings(
            NotifySettings, environment="test", twilio_base_url=emulators.twilio_base_url,
            line_base_url=emulators.line_base_url, smtp_port=emulators.ports.smtp,
            scheduler_poll_seconds=0.02, delivery_poll_seconds=0.1,
        )
        app = create_app(settings, clock=clock)
        async with running_service(app) as client:
            publisher = EventPublisher(bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix)
            await publisher.start()
            try:
                replay = Replay(season, app, client, publisher, clock, timeout)
                await replay.directory()
                await replay.play()
                through, templates = await replay.decisions()
                pipeline_config = app.state.container.policy.config
            finally:
                await publisher.stop()
                await app.state.container.store.db.client.drop_database(settings.mongo_db)
    finally:
        await emulators.stop()
    local = in_process(season, pipeline_config)
    mismatches = [(k, local.get(k), through.get(k)) for k in sorted(local) if local.get(k) != through.get(k)]
    # Intents notify made by itself (e.g. journeys started by a LINE link) have no in-process twin.
    pipeline_only = Counter(templates[k] for k in through if k not in local)
    compared = sum(1 for k in local if local.get(k) == through.get(k))
    reasons = Counter((d[1], d[2]) for rows in local.values() for d in rows)
    return Agreement(intents=len(local), compared=compared, mismatches=mismatches, steps=replay.steps,
                     seconds=time.perf_counter() - started, reasons=dict(reasons),
                     pipeline_only=dict(pipeline_only))
