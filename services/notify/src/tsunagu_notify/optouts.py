"""Inbound signals from providers: opt-outs, LINE follows, delivery statuses."""

import uuid
from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationDelivered, NotificationFailed
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_notify.adapters.delivery_queue import DeliveryQueue
from tsunagu_notify.adapters.recipient_stream import RecipientChanges
from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.clock import Clock
from tsunagu_notify.domain.model import Channel
from tsunagu_notify.domain.recipient import RecipientChange

SOURCE = "tsunagu/notify"


@dataclass
class ProviderSignals:
    store: NotifyStore
    changes: RecipientChanges
    deliveries: DeliveryQueue
    relay: OutboxRelay
    clock: Clock

    async def opt_out(self, recipient_id: str, channel: Channel, source: str, *, confirm: bool) -> bool:
        """Turn one channel off for every company (ContactOptedOut, pending messages on it cancelled,
        at most one confirmation), applied by the owner of her partition. True when the view of her
        state says this changes something (she is known and was not opted out of it yet)."""
        status = (await self.store.load(recipient_id)).state
        await self.changes.request(RecipientChange(
            change_id=f"opt-out:{uuid.uuid4()}", recipient_id=recipient_id, kind="opted_out", at=self.clock.now(),
            channel=channel, source=source, confirm=confirm))
        return status.known and not status.channel(channel).opted_out_at

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
            await self.deliveries.mark(delivery["_id"], {"status": "delivered", "delivered_at": now},
                                       Envelope.wrap(event, source=SOURCE))
        elif status in ("failed", "undelivered"):
            event = NotificationFailed(**common, error=f"provider status {status}", permanent=True, failed_at=now)
            await self.deliveries.mark(delivery["_id"], {"status": "failed", "failed_at": now},
                                       Envelope.wrap(event, source=SOURCE))
        else:
            return
        self.relay.wake()
