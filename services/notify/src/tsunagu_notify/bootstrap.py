"""The one place where the notify service's infrastructure is chosen and wired.

Four consumer groups: `notify` reads the domain topics (directory changes + intents),
`notify-policy` is the policy processor (notify.intents and notify.recipient-changes, her
state owned by her partition, one Kafka transaction per batch), `notify-delivery` the channel
workers (notify.delivery-requests in, provider calls, outcomes in one transaction per
partition) and `notify-views` projects both into the database views. Journey steps firing runs
as a task beside them and stops with the service. `TSUNAGU_NOTIFY_ROLES` picks which of them a
process runs (the channel workers can have pods of their own)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from tsunagu_shared.clock import SYSTEM_CLOCK, Clock, SettableClock
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.standing import StandingView
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_notify.adapters.channels.base import Channel
from tsunagu_notify.adapters.channels.email import EmailChannel
from tsunagu_notify.adapters.channels.line import LineChannel
from tsunagu_notify.adapters.channels.sms import SmsChannel
from tsunagu_notify.adapters.delivery_statuses import DeliveryStatuses
from tsunagu_notify.adapters.delivery_stream import DeliveryStream
from tsunagu_notify.adapters.journeys import JourneyStore
from tsunagu_notify.adapters.line_account import LineAccountClient
from tsunagu_notify.adapters.line_links import LineLinkStore
from tsunagu_notify.adapters.recipient_stream import EffectFeed, RecipientChanges, RecipientStream
from tsunagu_notify.adapters.repository import OUTBOX_COLLECTIONS, NotifyStore
from tsunagu_notify.adapters.unsubscribe import UnsubscribeTokens
from tsunagu_notify.adapters.views import NotifyViews
from tsunagu_notify.config import NotifySettings
from tsunagu_notify.handlers.delivery import DeliveryWorker
from tsunagu_notify.handlers.intake import IntakeHandlers
from tsunagu_notify.handlers.journeys import JourneyEngine
from tsunagu_notify.handlers.line_accounts import LineAccounts
from tsunagu_notify.handlers.policy import PolicyProcessor
from tsunagu_notify.handlers.provider_signals import ProviderSignals
from tsunagu_notify.handlers.segment_sends import SegmentSends
from tsunagu_notify.handlers.views import ViewProjector

log = structlog.get_logger(__name__)


@dataclass
class NotifyInfrastructure:
    """The shared Infrastructure plus notify's own loops, started and stopped with it."""

    base: Infrastructure
    store: NotifyStore
    loops: list[Any]
    channels: dict[str, Channel]
    streams: list[Any] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def kafka_started(self) -> asyncio.Event:
        return self.base.kafka_started

    async def start(self) -> None:
        await self.base.start()
        self._tasks = [asyncio.create_task(loop.run(), name=type(loop).__name__) for loop in self.loops]
        self._tasks.append(asyncio.create_task(self._start_streams(), name="notify-streams"))

    async def _start_streams(self) -> None:
        """The processor and the projector, once the broker answers (topics are created by then)."""
        await self.base.kafka_started.wait()
        for stream in self.streams:
            while True:
                try:
                    await stream.start()
                    break
                except Exception as exc:
                    log.warning("notify_stream_start_failed", stream=type(stream).__name__, error=str(exc))
                    await asyncio.sleep(1.0)
            self._tasks.append(asyncio.create_task(stream.run(), name=type(stream).__name__))

    async def stop(self) -> None:
        for loop in (*self.loops, *self.streams):
            loop.stop()
        for stream in self.streams:
            await asyncio.gather(stream.close(), return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self.channels.values():
            await channel.close()
        await self.base.stop()

    def readiness_needs(self) -> tuple[str, ...]:
        return self.base.readiness_needs()

    async def readiness(self) -> dict[str, str]:
        return await self.base.readiness()


@dataclass
class Container:
    infra: NotifyInfrastructure
    store: NotifyStore
    intake: IntakeHandlers
    policy: PolicyProcessor
    changes: RecipientChanges
    signals: ProviderSignals
    delivery: DeliveryWorker
    tokens: UnsubscribeTokens
    clock: Clock
    journeys: JourneyStore
    engine: JourneyEngine
    line: LineAccounts
    segments: SegmentSends
    standing: StandingView


def provider_channels(settings: NotifySettings) -> dict[str, Channel]:
    return {
        "email": EmailChannel.from_settings(settings),
        "sms": SmsChannel(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
                          from_number=settings.twilio_from, base_url=settings.twilio_base_url),
        "line": LineChannel(base_url=settings.line_base_url, access_token=settings.line_channel_access_token),
    }


async def bootstrap(settings: NotifySettings, *, clock: Clock | None = None,
                    channels: dict[str, Channel] | None = None) -> Container:
    clock = clock or (SettableClock() if settings.clock_control else SYSTEM_CLOCK)
    config = settings.policy()
    base = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    base.consumes_for_readiness = True  # its work is the processor, the projector and the intake
    store = NotifyStore(base.db)
    base.prepare(store.ensure_indexes, name="notify store indexes")
    channels = channels or provider_channels(settings)
    tokens = UnsubscribeTokens(settings.unsubscribe_secret)
    delivery = DeliveryWorker(stream=DeliveryStream(settings), channels=channels, clock=clock, config=config,
                              tokens=tokens, public_base_url=settings.public_base_url.rstrip("/"),
                              senders=settings.delivery_senders, commit_ms=settings.delivery_commit_ms,
                              poll_ms=int(settings.delivery_poll_seconds * 1000))
    changes = RecipientChanges(base.publisher, settings)
    policy = PolicyProcessor(stream=RecipientStream(settings), clock=clock, config=config,
                             max_event_bytes=settings.max_event_bytes, max_records=settings.policy_batch_records,
                             commit_ms=settings.policy_commit_ms)
    projector = ViewProjector(feed=EffectFeed(settings), views=NotifyViews(base.db))
    journeys = JourneyStore(base.db)
    base.prepare(journeys.ensure_indexes, name="journey indexes")
    engine = JourneyEngine(journeys=journeys, store=store, changes=changes, clock=clock)
    line_api = LineAccountClient(base_url=settings.line_base_url, access_token=settings.line_channel_access_token)
    line = LineAccounts(links=LineLinkStore(base.db), store=store, changes=changes, api=line_api, clock=clock,
                        on_signal=engine.on_signal)
    intake = IntakeHandlers(store=store, changes=changes, clock=clock, journeys=journeys,
                            on_signal=engine.on_signal, on_member_event=line.on_event)
    signals = ProviderSignals(store=store, changes=changes, deliveries=DeliveryStatuses(base.db), clock=clock,
                              on_signal=engine.on_signal, account_link=line.account_link)
    standing = StandingView(base.db)
    roles = settings.roles()
    if "intake" in roles:
        base.add_consumer(group="notify", topics=list(CONSUMER_GROUPS["notify"]),
                          handle=standing.feeding(intake.on_event))
        base.every(settings.scheduler_poll_seconds, engine.fire_due, name="journey_steps_fired")
    streams = [s for role, s in (("policy", policy), ("delivery", delivery), ("views", projector)) if role in roles]
    infra = NotifyInfrastructure(base=base, store=store, loops=[], streams=streams,
                                 channels={**channels, "line_account": line_api})
    return Container(infra=infra, store=store, intake=intake, policy=policy, changes=changes, signals=signals,
                     delivery=delivery,
                     tokens=tokens, clock=clock, journeys=journeys, engine=engine, line=line,
                     segments=SegmentSends(journeys=journeys, store=store), standing=standing)
