"""Inbound signals from providers: opt-outs, LINE follows, delivery statuses."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tsunagu_shared.clock import Clock
from tsunagu_shared.contact_points import e164
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationDelivered, NotificationFailed

from tsunagu_notify.adapters.delivery_statuses import DeliveryRecords
from tsunagu_notify.adapters.recipient_stream import ChangeRequests
from tsunagu_notify.adapters.repository import SignalStore
from tsunagu_notify.domain.directory import is_start, is_stop
from tsunagu_notify.domain.journeys.signals import JourneySignal, line_signal
from tsunagu_notify.domain.model import Channel
from tsunagu_notify.domain.recipient import RecipientChange

SOURCE = "tsunagu/notify"


@dataclass
class ProviderSignals:
    store: SignalStore
    changes: ChangeRequests
    deliveries: DeliveryRecords
    clock: Clock
    # JourneyEngine.on_signal (follow/unfollow start and stop her LINE journey)
    on_signal: Callable[[JourneySignal], Awaitable[None]]
    # LineAccounts.account_link (the accountLink event of LINE's webhook)
    account_link: Callable[[str, str, str], Awaitable[str]]

    async def inbound_sms(self, message_sid: str, sender: str, body: str) -> str:
        """An SMS she sent us: a stop word turns SMS off for every company (with one confirmation); a start
        word (START, 再開, 開始 …) is her explicit consent to SMS again."""
        if not await self.store.first_time(f"twilio-in:{message_sid}", self.clock.now()):
            return "duplicate"
        if not is_stop(body) and not is_start(body):
            return "ignored"
        recipient_id = await self.store.find_by_address("sms", _phone_number(sender))
        if is_start(body):
            if recipient_id is not None:
                await self.changes.request(RecipientChange(
                    change_id=f"opt-in:{uuid.uuid4()}", recipient_id=recipient_id, kind="opted_in",
                    at=self.clock.now(), channel="sms", source="sms_start"))
            return "opted_in"
        if recipient_id is not None:
            await self.opt_out(recipient_id, "sms", "sms_stop", confirm=True)
        return "opted_out"

    async def line_event(self, event: dict[str, Any]) -> None:
        """One event of LINE's webhook (each is seen once, by its webhookEventId)."""
        event_id = event.get("webhookEventId") or f"{event.get('type')}:{event.get('timestamp')}"
        if not await self.store.first_time(f"line:{event_id}", self.clock.now()):
            return
        user_id = _text((event.get("source") or {}).get("userId"))
        if not user_id:
            return
        if event.get("type") == "follow":
            recipient_id = await self.line_follow(user_id)
            if recipient_id is not None:
                await self.on_signal(line_signal("LineFollowed", recipient_id, self.clock.now(), event_id))
        elif event.get("type") == "unfollow":
            recipient_id = await self.store.find_by_address("line", user_id)
            if recipient_id is not None:
                await self.opt_out(recipient_id, "line", "line_unfollow", confirm=False)
                await self.on_signal(line_signal("LineUnfollowed", recipient_id, self.clock.now(), event_id))
        elif event.get("type") == "accountLink":
            link = event.get("link") or {}
            await self.account_link(user_id, str(link.get("nonce", "")), str(link.get("result", "")))

    async def bounce(self, bounce_id: object, email: object, kind: object) -> str:
        """A hard bounce from the mail relay turns email off for every company."""
        address = _text(email)
        if kind != "hard" or not address or not await self.store.first_time(f"bounce:{bounce_id}", self.clock.now()):
            return "ignored"
        recipient_id = await self.store.find_by_address("email", address)
        if recipient_id is not None:
            await self.opt_out(recipient_id, "email", "email_bounce", confirm=False)
        return "opted_out"

    async def status_callback(self, message_sid: str, status: str) -> None:
        """Twilio's status of a message we sent (each status of each message once)."""
        if await self.store.first_time(f"twilio:{message_sid}:{status}", self.clock.now()):
            await self.delivery_status(message_sid, status)

    async def opt_out(self, recipient_id: str, channel: Channel, source: str, *, confirm: bool) -> bool:
        """Turn one channel off for every company (ContactOptedOut, pending messages on it cancelled,
        at most one confirmation), applied by the owner of her partition. True when the view of her
        state says this changes something (she is known and was not opted out of it yet)."""
        status = (await self.store.load(recipient_id)).state
        await self.changes.request(RecipientChange(
            change_id=f"opt-out:{uuid.uuid4()}", recipient_id=recipient_id, kind="opted_out", at=self.clock.now(),
            channel=channel, source=source, confirm=confirm))
        return status.known and not status.channel(channel).opted_out_at

    async def opted_out_of(self, recipient_id: str, channel: Channel) -> bool:
        """Does the view of her state say she left this channel already?"""
        return bool((await self.store.load(recipient_id)).state.channel(channel).opted_out_at)

    async def locale_of(self, recipient_id: str) -> str:
        return (await self.store.load(recipient_id)).state.locale

    async def line_follow(self, line_user_id: str) -> str | None:
        """A follow of a linked LINE user turns LINE on again; her id, or None when not linked yet."""
        recipient_id = await self.store.find_by_address("line", line_user_id)
        if recipient_id is None:
            return None  # not linked yet: account linking sets the address
        await self.changes.request(RecipientChange(
            change_id=f"line-follow:{uuid.uuid4()}", recipient_id=recipient_id, kind="line_followed",
            at=self.clock.now(), line_user_id=line_user_id))
        return recipient_id

    async def delivery_status(self, provider_message_id: str, status: str) -> None:
        """A provider's callback about a message we sent (delivered / failed)."""
        delivery = await self.deliveries.by_provider_id(provider_message_id)
        if delivery is None:
            return
        now = self.clock.now()
        common = {"intent_id": delivery["intent_id"], "recipient_id": delivery["recipient_id"],
                  "channel": delivery["channel"]}
        if status == "delivered":
            event = NotificationDelivered(**common, provider_message_id=provider_message_id, delivered_at=now)
            await self.deliveries.mark(delivery["_id"], {"provider_status": "delivered", "delivered_at": now},
                                       Envelope.wrap(event, source=SOURCE))
        elif status in ("failed", "undelivered"):
            event = NotificationFailed(**common, error=f"provider status {status}", permanent=True, failed_at=now)
            await self.deliveries.mark(delivery["_id"], {"provider_status": status, "failed_at": now},
                                       Envelope.wrap(event, source=SOURCE))


def _text(value: object) -> str | None:
    """An address from a provider's body, only if it is a string: never an operator a query would obey."""
    return value if isinstance(value, str) else None


def _phone_number(sender: str) -> str:
    """Twilio's `From` as the E.164 number her profile holds (as it came when it is not a phone number)."""
    try:
        return e164(sender)
    except ValueError:
        return sender
