"""What the fault tests share: the stack they may break, notify run as a real process with the
provider emulators, a stream of intents, and the ledger that says what became of each one.

The tests break real things (SIGKILL a process, stop the broker or the database with
scripts/stack.py), so they refuse to run against the shared development stack: they need
the variables `make test` exports (scripts/test.sh) for its own throwaway stack.
"""

import asyncio
import os
import sys
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient
from tsunagu_emulators import EmulatorPorts, start_emulators
from tsunagu_notify.adapters.channels.line import retry_key
from tsunagu_notify.config import NotifySettings
from tsunagu_notify.domain.recipient import idempotency_key
from tsunagu_shared.auth import issue_token
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ChannelConsent, ContactPreferencesChanged, NotificationRequested
from tsunagu_shared.kafka import ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.kafka.producer import EventPublisher
from tsunagu_shared.testing import ServiceProcess, isolated_settings

ROOT = Path(__file__).resolve().parents[2]
# Only the caps under test (no quiet hours, no minimum gap): TSUNAGU_ENVIRONMENT=faults.
FAULT_POLICY = {"TSUNAGU_POLICY_FILE": str(Path(__file__).with_name("policy_faults.toml")),
                "TSUNAGU_ENVIRONMENT": "faults"}
NO_QUIET_HOURS = ("00:00", "00:00")
SHARED_DEV_PORTS = {"TSUNAGU_KAFKA_PORT": "19092", "TSUNAGU_MONGO_PORT": "27027"}
STACK_VARIABLES = ("TSUNAGU_STATE_DIR", "TSUNAGU_KAFKA_PORT", "TSUNAGU_MONGO_PORT",
                   "TSUNAGU_KAFKA_BOOTSTRAP", "TSUNAGU_MONGO_URL")
CONSENT_AT = datetime(2025, 1, 1, tzinfo=UTC)


def require_own_stack() -> None:
    """Fail (never skip) unless this run owns a throwaway stack it may stop and restart."""
    missing = [name for name in STACK_VARIABLES if not os.environ.get(name)]
    if missing:
        raise AssertionError(
            f"fault tests stop and restart Kafka/FerretDB and need their own stack: {', '.join(missing)} "
            "not set. Run them through `make test` (scripts/test.sh), or start a stack on other ports "
            "and export `python3 scripts/stack.py env` plus TSUNAGU_STATE_DIR/_KAFKA_PORT/_MONGO_PORT.")
    shared = [name for name, port in SHARED_DEV_PORTS.items() if os.environ[name] == port]
    if shared:
        raise AssertionError(f"refusing to break the shared development stack ({', '.join(shared)})")
    if not os.environ["TSUNAGU_KAFKA_BOOTSTRAP"].endswith(f":{os.environ['TSUNAGU_KAFKA_PORT']}"):
        raise AssertionError("TSUNAGU_KAFKA_BOOTSTRAP does not point at TSUNAGU_KAFKA_PORT")


async def stack(action: str, name: str) -> None:
    """`python3 scripts/stack.py <action> <name>` with this run's environment (real processes)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "scripts" / "stack.py"), action, name, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        raise AssertionError(f"stack.py {action} {name} failed: {output.decode()[-2000:]}")


async def until(condition, *, timeout: float, what: str, every: float = 0.2, progress=None):
    """Poll an async condition until it returns something truthy; fail with `what` (and the
    `progress` it had reached) otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        await asyncio.sleep(every)
    reached = f"; reached {await progress()}" if progress else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{reached}")


def intent_event(n: int, recipient: str, *, run: str, template: str = "interview_scheduled",
                 category: str = "critical", company: str = "co-fault") -> NotificationRequested:
    """One intent. Critical interview notices pass quiet hours and channel caps, so whether
    they send does not depend on the hour the suite runs at; only the faults matter."""
    return NotificationRequested(
        intent_id=f"{run}-{n:05d}", recipient_id=recipient, template=template, category=category,
        company_id=company, variables={"company_name": "Fault株式会社", "starts_at_local": f"7/1 10:00 (#{n})"},
        requested_at=datetime.now(UTC),
    )


def scout_intent(n: int, recipient: str, company: str, *, run: str) -> NotificationRequested:
    """An outreach intent: a scout from `company`, counted against the platform and company caps."""
    return NotificationRequested(
        intent_id=f"{run}-{n:05d}", recipient_id=recipient, template="scout_received", category="outreach",
        company_id=company, variables={"company_name": f"{company}株式会社", "recruiter_name": "佐藤",
                                       "reason": f"ロボコンでの活躍 (#{n})"},
        requested_at=datetime.now(UTC),
    )


@dataclass
class IntentStream:
    """Intents spread over registered people and strangers (never registered: each suppressed)."""

    people: list[str]
    everyone: list[str]
    events: list[NotificationRequested]
    sendable: set[str]
    suppressible: set[str]


def intent_stream(run: str, intents: int, recipients: int, strangers: int) -> IntentStream:
    people = [f"fk{run}-{i:03d}" for i in range(recipients)]
    everyone = people + [f"fx{run}-{i:03d}" for i in range(strangers)]
    events = [intent_event(n, everyone[n % len(everyone)], run=run) for n in range(intents)]
    sendable = {e.intent_id for e in events if e.recipient_id in people}
    return IntentStream(people, everyone, events, sendable, {e.intent_id for e in events} - sendable)


def idempotency_key_of(message: dict) -> str | None:
    """The delivery key notify put in an email's X-Tsunagu-Idempotency-Key header."""
    return message.get("idempotency_key")


@dataclass
class Ledger:
    """What became of each intent: messages the provider emulator accepted, decisions notify recorded."""

    emails: Counter = field(default_factory=Counter)   # intent id -> messages accepted (email, or LINE pushes)
    decisions: dict[str, list[dict]] = field(default_factory=dict)  # intent id -> decisions

    def problems(self, *, sendable: set[str], suppressible: set[str]) -> list[str]:
        """Every intent must end with exactly one send or exactly one recorded suppression."""
        found = []
        for intent in sorted(sendable):
            actions = [d["action"] for d in self.decisions.get(intent, [])]
            if self.emails[intent] != 1 or actions != ["send"]:
                found.append(f"{intent}: {self.emails[intent]} emails, decisions {actions}")
        for intent in sorted(suppressible):
            actions = [d["action"] for d in self.decisions.get(intent, [])]
            if self.emails[intent] != 0 or actions != ["suppress"]:
                found.append(f"{intent}: {self.emails[intent]} emails, decisions {actions}")
        strangers = set(self.emails) - sendable - suppressible
        found += [f"email for an intent never requested: {i}" for i in sorted(strangers)]
        return found


class LoggedServiceProcess(ServiceProcess):
    """A ServiceProcess whose output goes to a log file in the stack's state directory
    (kept across restarts), so a failing fault test can be explained."""

    def __init__(self, service: str, *, env: dict[str, str], port: int | None = None) -> None:
        state = Path(os.environ.get("TSUNAGU_STATE_DIR", ROOT / ".cache" / "run" / "faults"))
        super().__init__(service, env=env, port=port, log_dir=state / "logs")

    async def start(self, *, timeout: float = 180.0) -> None:
        """Started and healthy (a loaded shared machine takes a minute or more to import a service)."""
        await super().start(timeout=timeout)


class NotifyUnderTest:
    """notify as a real process (`python -m tsunagu_notify`) on this run's broker and database,
    with its own topic prefix and database, talking to in-process provider emulators."""

    def __init__(self, *, channel: str = "email", delivery_apart: bool = False, **environment: str) -> None:
        self.settings = isolated_settings(NotifySettings, environment="test")
        self.extra_env = environment
        self.run = uuid.uuid4().hex[:8]
        self.channel = channel  # where registered people want to be reached: "email" or "line"
        # the channel workers in a process of their own (TSUNAGU_NOTIFY_ROLES), as the delivery pods run them
        self.delivery_apart = delivery_apart
        self.delivery_process: LoggedServiceProcess | None = None
        self.intents_by_retry_key: dict[str, str] = {}

    async def __aenter__(self) -> "NotifyUnderTest":
        self.emulators = await start_emulators(EmulatorPorts(control=0, twilio=0, line=0, smtp=0))
        await ensure_topics(self.settings.kafka_bootstrap, wanted_topics(self.settings.topic_prefix))
        env = {
            "TSUNAGU_ENVIRONMENT": "test", "TSUNAGU_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap,
            "TSUNAGU_MONGO_URL": self.settings.mongo_url, "TSUNAGU_MONGO_DB": self.settings.mongo_db,
            "TSUNAGU_TOPIC_PREFIX": self.settings.topic_prefix, "TSUNAGU_OUTBOX_POLL_SECONDS": "0.2",
            "TSUNAGU_SMTP_PORT": str(self.emulators.ports.smtp),
            "TSUNAGU_TWILIO_BASE_URL": self.emulators.twilio_base_url,
            "TSUNAGU_LINE_BASE_URL": self.emulators.line_base_url,
            "TSUNAGU_DELIVERY_POLL_SECONDS": "0.2", "TSUNAGU_SCHEDULER_POLL_SECONDS": "0.2",
            **self.extra_env,
        }
        if self.delivery_apart:
            self.delivery_process = LoggedServiceProcess("notify", env={**env, "TSUNAGU_NOTIFY_ROLES": "delivery"})
            env["TSUNAGU_NOTIFY_ROLES"] = "intake,policy,views"
        self.process = LoggedServiceProcess("notify", env=env)
        await self.process.start()
        if self.delivery_process is not None:
            await self.delivery_process.start()
        self.http = httpx.AsyncClient(base_url=self.process.url, timeout=10)
        self.publisher = EventPublisher(bootstrap=self.settings.kafka_bootstrap,
                                        topic_prefix=self.settings.topic_prefix, client_id="fault-test")
        await self.publisher.start()
        self.mongo = AsyncMongoClient(self.settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=3000)
        return self

    async def __aexit__(self, *exc) -> None:
        self.process.stop()
        if self.delivery_process is not None:
            self.delivery_process.stop()
        await self.http.aclose()
        await self.publisher.stop()
        await self.mongo.close()
        await self.emulators.stop()

    @property
    def db(self):
        return self.mongo[self.settings.mongo_db]

    def admin_headers(self) -> dict[str, str]:
        token = issue_token(self.settings, subject="admin-faults", role="admin")
        return {"Authorization": f"Bearer {token}"}

    async def register(self, recipients: list[str], *, timeout: float = 60,
                       quiet_hours: tuple[str, str] = ("21:00", "08:00")) -> None:
        """Her contact preferences arrive from profile (consent and preference for this run's
        channel); on LINE, her account is linked through notify's API as a support desk would."""
        consent = ChannelConsent(consented=True, consented_at=CONSENT_AT, source="profile")
        futures = []
        for recipient in recipients:
            event = ContactPreferencesChanged(
                candidate_id=recipient, display_name=f"学生{recipient}", email=f"{recipient}@example.jp",
                phone=f"+8190{zlib.crc32(recipient.encode()) % 10 ** 8:08d}",
                channels={self.channel: consent}, preferred_channel=self.channel, changed_at=CONSENT_AT,
                quiet_hours_start=quiet_hours[0], quiet_hours_end=quiet_hours[1])
            futures.append(await self.publisher.send(Envelope.wrap(event, source="tsunagu/fault-test")))
        await asyncio.gather(*futures)

        async def all_known():
            return await self.db.recipients.count_documents(
                {"_id": {"$in": recipients}, "state.known": True}) == len(recipients)
        await until(all_known, timeout=timeout, what=f"{len(recipients)} recipients in notify's directory")
        if self.channel == "line":
            for recipient in recipients:
                linked = await self.http.put(f"/recipients/{recipient}/line", json={"line_user_id": f"U{recipient}"},
                                             headers=self.admin_headers())
                assert linked.status_code == 204, linked.text

    def sent(self) -> list[dict]:
        """Messages the emulator of this run's channel accepted (SMS: the Twilio emulator's)."""
        return self.emulators.recorder.sent("twilio" if self.channel == "sms" else self.channel)

    async def publish(self, events: list, *, pace_per_second: float | None = None) -> None:
        """Publish envelopes (acks=all), optionally at a steady rate."""
        started, futures = time.monotonic(), []
        for n, event in enumerate(events):
            futures.append(await self.publisher.send(Envelope.wrap(event, source="tsunagu/fault-test")))
            if pace_per_second and n % 50 == 49:
                ahead = (n + 1) / pace_per_second - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        await asyncio.gather(*futures)

    def emails_by_intent(self) -> Counter:
        """Accepted messages per intent: emails by their idempotency key header, LINE pushes
        by their X-Line-Retry-Key (derived from the same key)."""
        counts: Counter = Counter()
        for message in self.sent():
            if self.channel == "line":
                key = message.get("retry_key")
                counts[self.intents_by_retry_key.get(key, f"unknown:{key}")] += 1
                continue
            key = idempotency_key_of(message)
            counts[key.split(":")[0] if key else f"unparsed:{message.get('message_id')}"] += 1
        return counts

    def expect(self, events: list) -> None:
        """Remember which LINE retry key belongs to which intent."""
        for event in events:
            key = retry_key(idempotency_key(event.intent_id, event.recipient_id, "line"))
            self.intents_by_retry_key[key] = event.intent_id

    async def decisions_by_intent(self, recipients: list[str]) -> dict[str, list[dict]]:
        """Every decision notify recorded, read through its decisions API (admin)."""
        decisions: dict[str, list[dict]] = {}
        for recipient in recipients:
            answer = await self.http.get(f"/recipients/{recipient}/decisions", headers=self.admin_headers())
            assert answer.status_code == 200, answer.text
            for decision in answer.json():
                decisions.setdefault(decision["intent_id"], []).append(decision)
        return decisions

    async def ledger(self, recipients: list[str]) -> Ledger:
        return Ledger(emails=self.emails_by_intent(), decisions=await self.decisions_by_intent(recipients))

    async def wait_settled(self, expected_emails: int, expected_decisions: int, *, timeout: float) -> None:
        async def progress():
            unfinished = await self.db.deliveries.find(
                {"status": {"$in": ["pending", "retrying"]}}, {"_id": 1, "status": 1, "attempts": 1}).to_list(5)
            return (f"{len(self.sent())}/{expected_emails} messages, "
                    f"{await self.db.decisions.count_documents({})}/{expected_decisions} decisions, "
                    f"deliveries not ended in the view: {unfinished}")

        await until(lambda: self.settled(expected_emails, expected_decisions), timeout=timeout, every=1.0,
                    what="every intent decided and sent", progress=progress)

    async def settled(self, expected_emails: int, expected_decisions: int) -> bool:
        """All expected emails received and every intent decided, with nothing pending delivery."""
        if len(self.sent()) < expected_emails:
            return False
        if await self.db.decisions.count_documents({}) < expected_decisions:
            return False
        return await self.db.deliveries.count_documents({"status": {"$in": ["pending", "retrying"]}}) == 0

    async def ready(self) -> tuple[int, dict]:
        answer = await self.http.get("/readyz")
        return answer.status_code, answer.json()
