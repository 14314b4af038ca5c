"""Channel workers: render, check the idempotency key, call the provider, record the outcome."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog
from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationFailed, NotificationSent, NotificationSuppressed
from tsunagu_shared.kafka.consumer import PermanentError, TransientError
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_notify.adapters.channels.base import Channel, OutboundMessage, RetryLater
from tsunagu_notify.adapters.delivery_queue import DeliveryQueue
from tsunagu_notify.adapters.metrics import (
    delivering, delivery_cancelled, delivery_failed, delivery_retried, delivery_sent, provider_call,
)
from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.adapters.unsubscribe import UnsubscribeTokens
from tsunagu_notify.clock import Clock
from tsunagu_notify.domain.model import RecipientState
from tsunagu_notify.domain.policy import CONFIRMATION_TEMPLATE
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.templates import Sender, TemplateRefused, UnknownTemplate, render

log = structlog.get_logger(__name__)
SOURCE = "tsunagu/notify"


def _claimable(doc: dict, now) -> bool:
    if doc.get("status") == "pending":
        return doc.get("next_attempt_at") is None or doc["next_attempt_at"] <= now
    return doc.get("status") == "sending" and doc.get("lease_until") is not None and doc["lease_until"] < now


@dataclass
class DeliveryWorker:
    store: NotifyStore
    queue: DeliveryQueue
    channels: dict[str, Channel]
    relay: OutboxRelay
    clock: Clock
    config: PolicyConfig
    tokens: UnsubscribeTokens
    public_base_url: str
    poll_seconds: float = 0.3
    lease_seconds: float = 30.0
    sender: Sender = Sender()

    # How often the read-only sweep looks for retries that fell due and expired leases.
    sweep_seconds: float = 1.0
    senders: int = 8

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._keys: dict[str, None] = {}  # insertion-ordered set of keys to try

    def wake(self, key: str | None = None) -> None:
        """A delivery was queued (its key, from the policy stage) or something may be due."""
        if key is not None:
            self._keys[key] = None
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = 0.0
        while not self._stopping.is_set():
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + max(self.poll_seconds, self.sweep_seconds)
                    for key in await self.queue.due(self.clock.now()):
                        self._keys[key] = None
                while self._keys and not self._stopping.is_set():
                    await self._attempt_waiting()
            except Exception:
                log.exception("delivery_loop_failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _attempt_waiting(self) -> None:
        """Attempt the waiting keys, `senders` at a time (each key is claimed on its own)."""
        slots = asyncio.Semaphore(max(1, self.senders))

        async def one(key: str) -> None:
            async with slots:
                try:
                    await self.attempt(key)
                except Exception:
                    log.exception("delivery_attempt_failed", key=key)

        keys, self._keys = list(self._keys), {}
        await asyncio.gather(*(one(key) for key in keys))

    async def attempt(self, key: str) -> None:
        """Claim and deliver one delivery if it is still waiting (another worker may have it)."""
        now = self.clock.now()
        doc = await self.queue.get(key)
        if doc is None or not _claimable(doc, now):
            return
        # her state is read while the claim is written (deliver() needs both)
        claimed, record = await asyncio.gather(self.queue.claim(doc, now, timedelta(seconds=self.lease_seconds)),
                                               self.store.load(doc["recipient_id"]))
        if claimed is not None:
            await self.deliver(claimed, state=record.state)

    async def deliver(self, doc: dict, *, state: RecipientState) -> None:
        """One attempt at one claimed delivery (`state`: hers, read no earlier than the claim began)."""
        with delivering(doc):
            await self._deliver(doc, state=state)

    async def _deliver(self, doc: dict, *, state: RecipientState) -> None:
        key, channel, now = doc["_id"], doc["channel"], self.clock.now()
        status = state.channel(channel)
        confirmation = doc["template"] == CONFIRMATION_TEMPLATE
        if not status.address or (status.opted_out_at and not confirmation):
            # She opted out (or was erased) between the decision and the send: nothing goes out.
            event = NotificationSuppressed(intent_id=doc["intent_id"], recipient_id=doc["recipient_id"],
                                           reason="opted_out", decided_at=now)
            await self.queue.finish(key, "cancelled", {"cancelled_at": now}, Envelope.wrap(event, source=SOURCE))
            self.relay.wake()
            delivery_cancelled(channel)
            return
        try:
            message = self._message(doc, state, status.address)
            with provider_call(channel):
                receipt = await self.channels[channel].send(message)
        except (TemplateRefused, UnknownTemplate, PermanentError) as exc:
            await self._fail(doc, f"{type(exc).__name__}: {exc}", permanent=True)
            delivery_failed(channel, exc)
            return
        except (RetryLater, TransientError) as exc:
            await self._retry(doc, exc)
            return
        sent = NotificationSent(intent_id=doc["intent_id"], recipient_id=doc["recipient_id"], channel=channel,
                                provider_message_id=receipt.provider_message_id, sent_at=now)
        await self._until_recorded(lambda: self.queue.finish(
            key, "sent", {"sent_at": now, "provider_message_id": receipt.provider_message_id,
                          "already_accepted": receipt.already_accepted},
            Envelope.wrap(sent, source=SOURCE)))
        self.relay.wake()
        delivery_sent(channel)

    async def _until_recorded(self, write, *, limit_seconds: float = 900.0) -> None:
        """The provider took the message: record it even if the database is away for a while.

        Giving up here would let the lease expire and the message be sent again (SMTP and
        Twilio have no idempotency key of their own), so this worker holds on and retries;
        it claims nothing else meanwhile."""
        delay, waited = 0.2, 0.0
        while True:
            try:
                return await write()
            except (ConnectionFailure, ServerSelectionTimeoutError, AutoReconnect) as exc:
                if waited >= limit_seconds:
                    raise
                log.warning("delivery_record_retry", error=str(exc))
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

    def _message(self, doc: dict, state, address: str) -> OutboundMessage:
        variables = {**doc.get("variables", {}), "recipient_name": state.display_name or ""}
        variables.setdefault("company_name", "Tsunagu")
        unsubscribe_url = None
        if doc["channel"] == "email":
            token = self.tokens.issue(doc["recipient_id"], "email")
            unsubscribe_url = f"{self.public_base_url}/unsubscribe/{token}"
            variables["unsubscribe_url"] = unsubscribe_url
        rendered = render(doc["template"], locale=state.locale, channel=doc["channel"], variables=variables,
                          sender=self.sender)
        callback = f"{self.public_base_url}/webhooks/twilio/status" if doc["channel"] == "sms" else None
        return OutboundMessage(
            idempotency_key=doc["_id"], address=address, subject=rendered.subject, body=rendered.body,
            sender_name=f"{variables['company_name']} via Tsunagu", unsubscribe_url=unsubscribe_url,
            status_callback_url=callback,
        )

    async def _retry(self, doc: dict, exc: Exception) -> None:
        attempts = doc["attempts"]
        if attempts >= self.config.max_delivery_attempts:
            await self._fail(doc, f"gave up after {attempts} attempts: {exc}", permanent=False)
            delivery_failed(doc["channel"], exc)
            return
        ladder = self.config.backoff_ladder_seconds
        wait = ladder[min(attempts - 1, len(ladder) - 1)]
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            wait = max(wait, retry_after)
        await self.queue.retry_at(doc["_id"], self.clock.now() + timedelta(seconds=wait), str(exc))
        log.info("delivery_retry_scheduled", key=doc["_id"], wait=wait, error=str(exc))
        delivery_retried(doc["channel"], exc)

    async def _fail(self, doc: dict, error: str, *, permanent: bool) -> None:
        now = self.clock.now()
        failed = NotificationFailed(intent_id=doc["intent_id"], recipient_id=doc["recipient_id"], channel=doc["channel"],
                                    error=error[:500], permanent=permanent, failed_at=now)
        await self.queue.finish(doc["_id"], "failed", {"failed_at": now, "last_error": error[:500]},
                                Envelope.wrap(failed, source=SOURCE))
        self.relay.wake()
