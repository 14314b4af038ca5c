"""The readable timeline: events, notify's decisions with their reasons, and the messages as she saw them.

Decisions come from notify's decisions endpoint (admin token); message texts from what the
provider emulators recorded (LINE push, Twilio SMS, SMTP mail), matched to a person by
her address on that provider.
"""

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from tsunagu_shared.envelope import Envelope

from tsunagu_tools.demo.cast import Cast, Person
from tsunagu_tools.demo.tap import EventTap, mentions
from tsunagu_tools.stack import Api, Tokens, eventually

PROVIDER_CHANNEL = {"line": "line", "twilio": "sms", "email": "email"}


def parse_time(moment: str | datetime) -> datetime:
    """An API time as an aware datetime (the database hands back UTC without an offset)."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local(moment: str | datetime | None, zone: str = "Asia/Tokyo", fmt: str = "%m-%d %H:%M") -> str:
    if moment is None:
        return "-"
    return parse_time(moment).astimezone(ZoneInfo(zone)).strftime(fmt)


def message_text(record: dict[str, Any]) -> str:
    if record["provider"] == "line":
        return "\n".join(t for t in record.get("texts", []) if t)
    if record["provider"] == "twilio":
        return record.get("body") or ""
    return f"件名: {record.get('subject')}\n{(record.get('body') or '').strip()}"


def describe_event(envelope: Envelope) -> str:
    data = envelope.data
    keys = ("name", "change", "display_name", "company_name", "recruiter_name", "candidate_id", "recipient_id",
            "template", "reason", "channel", "until", "stage", "rows_imported", "starts_at_local", "respond_by",
            "source")
    shown = [f"{k}={data[k]}" for k in keys if data.get(k) not in (None, "", [])]
    return ", ".join(shown)[:160]


class Timeline:
    """Prints the story as it happens and keeps what it saw for the summary."""

    def __init__(self, api: Api, tokens: Tokens, out: IO[str], cast: Cast, tap: EventTap | None) -> None:
        self.api, self.tokens, self.out, self.cast, self.tap = api, tokens, out, cast, tap
        self.decisions: dict[str, list[dict]] = {}
        self.messages: list[tuple[Person, dict]] = []
        self._seen_decisions: set[str] = set()
        self._seen_messages: set[tuple] = set()

    # -- narration -----------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def chapter(self, title: str) -> None:
        self.say()
        self.say(f"━━ {title} " + "━" * max(0, 60 - len(title)))

    def step(self, text: str) -> None:
        self.say(f"  ▶ {text}")

    def note(self, text: str) -> None:
        self.say(f"    ℹ {text}")

    def ids(self) -> set[str]:
        known = {p.candidate_id for p in self.cast.people.values()}
        return known | {c.company_id for c in self.cast.companies.values()}

    async def show_events(self) -> None:
        """The events of this story that reached Kafka since the last call."""
        if self.tap is None:
            return
        ids = self.ids()
        for topic, envelope in await self.tap.drain():
            if mentions(envelope, ids):
                self.say(f"    ⚡ {envelope.type:<26} {topic:<18} {describe_event(envelope)}")

    # -- decisions -----------------------------------------------------------------
    async def fetch_decisions(self, person: Person) -> list[dict]:
        """Every decision about her, oldest first."""
        found = await self.api.json("GET", "notify", f"/recipients/{person.candidate_id}/decisions",
                                    token=self.tokens.admin())
        found.sort(key=lambda d: (d["decided_at"], d["attempt"]))
        self.decisions[person.candidate_id] = found
        return found

    async def await_decisions(self, person: Person, done: Callable[[list[dict]], Any], *, what: str,
                              timeout: float = 40.0) -> list[dict]:
        """Poll her decisions until `done(decisions)` holds, then show what is new (and the messages)."""

        async def probe():
            decisions = await self.fetch_decisions(person)
            return decisions if done(decisions) else None

        decisions = await eventually(probe, what=what, timeout=timeout)
        await self.show_events()
        self.show_new(person)
        await self.await_deliveries(person)
        return decisions

    async def settle(self, person: Person, seconds: float) -> list[dict]:
        """Watch her decisions for a while, to show that nothing more happens (a bounded check)."""
        deadline = time.monotonic() + seconds
        decisions = await self.fetch_decisions(person)
        while time.monotonic() < deadline:
            decisions = await self.fetch_decisions(person)
            await asyncio.sleep(0.3)
        await self.show_events()
        self.show_new(person)
        await self.await_deliveries(person, timeout=5)
        return decisions

    async def await_deliveries(self, person: Person, *, timeout: float = 30.0) -> None:
        """Wait until the providers recorded one message per send decision about her."""
        sends = sum(1 for d in self.decisions.get(person.candidate_id, []) if d["action"] == "send")

        async def arrived():
            await self.fetch_messages()
            return len([m for p, m in self.messages if p is person]) >= sends

        try:
            await eventually(arrived, what=f"messages to {person.name}", timeout=timeout)
        except TimeoutError:
            self.note(f"not every message decided for {person.name} reached a provider yet")

    async def fetch_messages(self) -> None:
        by_address = {(provider, address): person for person in self.cast.people.values()
                      for provider, address in person.addresses().items()}
        for record in await self.api.emulator("GET", "/messages"):
            targets = record.get("to") if isinstance(record.get("to"), list) else [record.get("to")]
            key = (record["provider"], record.get("received_at"), tuple(targets))
            person = next((by_address[(record["provider"], t)] for t in targets
                           if (record["provider"], t) in by_address), None)
            if person is None or key in self._seen_messages:
                continue
            self._seen_messages.add(key)
            self.messages.append((person, record))
            self.say(f"    ✉ {PROVIDER_CHANNEL[record['provider']].upper():<5} → {person.name}:")
            for line in message_text(record).splitlines():
                self.say(f"        │ {line}")

    def show_new(self, person: Person) -> None:
        for decision in self.decisions.get(person.candidate_id, []):
            key = f"{decision['intent_id']}:{decision['attempt']}"
            if key in self._seen_decisions:
                continue
            self._seen_decisions.add(key)
            self.say(f"    ⚖ {local(decision['decided_at'], person.time_zone)} {person.name} "
                     f"{decision['template']} ({decision['category']}): {self._verdict(decision, person)}")

    @staticmethod
    def _verdict(decision: dict, person: Person) -> str:
        action, reason = decision["action"], decision["reason"]
        if action == "send":
            return f"SEND via {decision['channel']} [{reason}]"
        if action == "defer":
            return f"DEFER until {local(decision['until'], person.time_zone)} her time [{reason}]"
        if action == "digest":
            return f"DIGEST into {decision['into']} [{reason}]"
        return f"SUPPRESS [{reason}] {decision.get('detail') or ''}".rstrip()

    def messages_to(self, person: Person, *, after: float | None = None) -> list[dict]:
        return [m for p, m in self.messages if p is person and (after is None or m["received_at"] > after)]

    def all_decisions(self) -> list[dict]:
        return [d for found in self.decisions.values() for d in found]
