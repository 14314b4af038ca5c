"""Test data for the notify service: a reachable recipient, intents, Tokyo times."""

import itertools
from datetime import UTC, datetime

from tsunagu_notify.domain.model import ChannelStatus, Intent, RecipientState

CONSENT_AT = datetime(2025, 1, 1, tzinfo=UTC)
_ids = itertools.count()


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given in Tokyo local time (UTC+9), as UTC."""
    from zoneinfo import ZoneInfo

    return datetime(2025, 6, day, hour, minute, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)


def reachable(*channels: str, preferred: str | None = "line", **fields) -> RecipientState:
    channels = channels or ("line", "email", "sms")
    addresses = {"line": "U123", "email": "hanako@example.jp", "sms": "+818012345678"}
    return RecipientState(
        recipient_id="cand-1",
        known=True,
        display_name="Hanako",
        preferred_channel=preferred,
        channels={c: ChannelStatus(address=addresses[c], consented_at=CONSENT_AT, consent_source="profile")
                  for c in channels},
        **fields,
    )


def an_intent(category: str = "outreach", company: str | None = "co-a", **fields) -> Intent:
    values = dict(
        intent_id=f"i-{next(_ids)}", recipient_id="cand-1", template="scout_received", category=category,
        company_id=company, variables={"company_name": "Acme"}, requested_at=CONSENT_AT,
    )
    values.update(fields)
    return Intent(**values)


def scout_sent(candidate: str, company: str = "co-a", name: str = "Acme株式会社", scout_id: str = "s-1"):
    """A ScoutSent from a recruiter of `company` to her, sent now."""
    from tsunagu_shared.events import ScoutSent

    return ScoutSent(scout_id=scout_id, company_id=company, company_name=name, recruiter_id="r-1",
                     recruiter_name="Sato", candidate_id=candidate, reason="Your robotics club work",
                     sent_at=datetime.now(UTC))


class NotifyHarness:
    """notify running in-process against the real broker and database, with the emulators."""

    def __init__(self, *, start: datetime, before_start=None, **settings: object) -> None:
        from tsunagu_shared.clock import SettableClock

        self.clock = SettableClock(start)
        self._before_start = before_start  # awaited with the settings before notify starts (seeding)
        self._overrides = settings  # NotifySettings fields, e.g. topic_partitions

    async def __aenter__(self) -> "NotifyHarness":
        from tsunagu_emulators import EmulatorPorts, start_emulators
        from tsunagu_shared.kafka.producer import EventPublisher
        from tsunagu_shared.testing import isolated_settings, running_service

        from tsunagu_notify.config import NotifySettings
        from tsunagu_notify.entrypoints.api import create_app

        self.emulators = await start_emulators(EmulatorPorts(control=0, twilio=0, line=0, smtp=0))
        self.settings = isolated_settings(
            NotifySettings, environment="test", twilio_base_url=self.emulators.twilio_base_url,
            line_base_url=self.emulators.line_base_url, smtp_port=self.emulators.ports.smtp,
            scheduler_poll_seconds=0.2, delivery_poll_seconds=0.2, **self._overrides,
        )
        if self._before_start is not None:
            await self._before_start(self.settings)
        self.app = create_app(self.settings, clock=self.clock)
        self._service = running_service(self.app)
        self.client = await self._service.__aenter__()
        self.publisher = EventPublisher(bootstrap=self.settings.kafka_bootstrap,
                                        topic_prefix=self.settings.topic_prefix)
        await self.publisher.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.publisher.stop()
        await self._service.__aexit__(*exc)
        await self.emulators.stop()

    @property
    def recorder(self):
        return self.emulators.recorder

    async def publish(self, event, *, envelope=None):
        from tsunagu_shared.envelope import Envelope

        envelope = envelope or Envelope.wrap(event, source="tsunagu/test")
        await self.publisher.publish(envelope)
        return envelope

    def headers(self, *, role: str = "admin", subject: str = "admin-1") -> dict[str, str]:
        from tsunagu_shared.testing import bearer

        return bearer(self.settings, role=role, subject=subject)

    async def register(self, candidate_id: str, *, preferred: str = "line", line_user_id: str | None = "U-hanako",
                       phone: str = "+818012345678", email: str = "hanako@example.jp") -> None:
        """Her contact preferences arrive from profile; her LINE id from account linking."""
        from tsunagu_shared.events import ChannelConsent, ContactPreferencesChanged

        consent = ChannelConsent(consented=True, consented_at=CONSENT_AT, source="profile")
        await self.publish(ContactPreferencesChanged(
            candidate_id=candidate_id, display_name="Hanako", email=email, phone=phone,
            channels={"email": consent, "sms": consent, "line": consent}, preferred_channel=preferred,
            changed_at=CONSENT_AT,
        ))
        await self.until(lambda: self._known(candidate_id))
        if line_user_id:
            answer = await self.client.put(f"/recipients/{candidate_id}/line", json={"line_user_id": line_user_id},
                                           headers=self.headers())
            assert answer.status_code == 204, answer.text
            await self.state_when(candidate_id, lambda s: s.channel("line").address == line_user_id)

    async def state_when(self, candidate_id: str, holds, *, timeout: float = 30.0):
        """Her state as notify's view shows it, once `holds(state)` is true (the view trails her
        partition's owner by the projector's lag)."""
        async def shown():
            state = (await self.app.state.container.store.load(candidate_id)).state
            return state if holds(state) else None
        return await self.until(shown, timeout=timeout)

    async def _known(self, candidate_id: str) -> bool:
        record = await self.app.state.container.store.load(candidate_id)
        return record.state.known

    async def decisions(self, candidate_id: str) -> list[dict]:
        answer = await self.client.get(f"/recipients/{candidate_id}/decisions", headers=self.headers())
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def until(self, condition, *, timeout: float = 30.0):
        """Poll an (async) condition until it holds; fail after `timeout` seconds."""
        import asyncio
        import inspect
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError("condition not reached in time")
