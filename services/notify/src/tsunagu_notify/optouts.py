"""Inbound signals from providers: opt-outs, LINE follows, delivery statuses."""

import uuid
from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ContactOptedOut, NotificationDelivered, NotificationFailed, NotificationRequested
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_notify.adapters.delivery_queue import DeliveryQueue
from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.clock import Clock
from tsunagu_notify.domain.directory import line_followed, opted_out
from tsunagu_notify.domain.model import Channel
from tsunagu_notify.domain.policy import CONFIRMATION_TEMPLATE
from tsunagu_notify.handlers import SOURCE, change_state

_CONFIRMATIONS = uuid.UUID("7d1e3c55-2a9b-4f60-b8c4-1e5a9f3d2c77")


@dataclass
class ProviderSignals:
    store: NotifyStore
    deliveries: DeliveryQueue
    relay: OutboxRelay
    clock: Clock

    async def opt_out(self, recipient_id: str, channel: Channel, source: str, *, confirm: bool) -> bool:
        """Turn one channel off for every company; publish ContactOptedOut; at most one confirmation."""
        now = self.clock.now()
        event = ContactOptedOut(recipient_id=recipient_id, channel=channel, source=source, opted_out_at=now)
        changed = await change_state(
            self.store, recipient_id, lambda s: opted_out(s, channel, source, now) if s.known else None,
            lambda _: (Envelope.wrap(event, source=SOURCE),),
        )
        if changed is None:
            return False
        await self.deliveries.cancel_for(recipient_id, channel, now)
        if confirm:
            intent_id = str(uuid.uuid5(_CONFIRMATIONS, f"{recipient_id}|{channel}|{now.isoformat()}"))
            request = NotificationRequested(
                intent_id=intent_id, recipient_id=recipient_id, template=CONFIRMATION_TEMPLATE,
                category="transactional", channel=channel, requested_at=now,
            )
            await self.store.request_intent(intent_id, Envelope.wrap(request, source=SOURCE))
        self.relay.wake()
        return True

    async def line_follow(self, line_user_id: str) -> str | None:
        """A follow of a linked LINE user turns LINE on again; her id, or None when not linked yet."""
        recipient_id = await self.store.find_by_address("line", line_user_id)
        if recipient_id is None:
            return None  # not linked yet: account linking sets the address
        now = self.clock.now()
        await change_state(self.store, recipient_id, lambda s: line_followed(s, line_user_id, now))
        return recipient_id

    async def link_line(self, recipient_id: str, line_user_id: str) -> bool:
        now = self.clock.now()
        return await change_state(
            self.store, recipient_id, lambda s: line_followed(s, line_user_id, now) if s.known else None
        ) is not None

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
