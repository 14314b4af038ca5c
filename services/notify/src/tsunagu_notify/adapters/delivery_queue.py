"""Deliveries waiting for a channel worker, one document per idempotency key.

The key is (intent, recipient, channel): a delivery is created at most once, and a
worker claims it (pending -> sending, with a lease) before calling the provider and
marks it sent in the same write as its NotificationSent event. A sent delivery is
never claimed again, so a redelivered message or a retried event cannot send twice.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import with_events

from tsunagu_notify.adapters.repository import DELIVERIES


def idempotency_key(intent_id: str, recipient_id: str, channel: str) -> str:
    return f"{intent_id}:{recipient_id}:{channel}"


class DeliveryQueue:
    def __init__(self, db: AsyncDatabase) -> None:
        self._deliveries = db[DELIVERIES]

    async def add(self, delivery: dict[str, Any]) -> bool:
        """Create the delivery unless its key exists already; True when created."""
        try:
            await self._deliveries.insert_one({**delivery, "status": "pending", "attempts": 0, "_pending": 0})
            return True
        except DuplicateKeyError:
            return False

    async def claim(self, now: datetime, lease: timedelta) -> dict | None:
        return await self._deliveries.find_one_and_update(
            {"$or": [{"status": "pending", "next_attempt_at": {"$lte": now}},
                     {"status": "sending", "lease_until": {"$lt": now}}]},
            {"$set": {"status": "sending", "lease_until": now + lease}, "$inc": {"attempts": 1}},
            sort=[("next_attempt_at", ASCENDING)], return_document=ReturnDocument.AFTER,
        )

    async def finish(self, key: str, status: str, fields: dict[str, Any], *events: Envelope) -> None:
        await self._deliveries.update_one(
            {"_id": key, "status": "sending"}, with_events({"$set": {"status": status, **fields}}, *events)
        )

    async def retry_at(self, key: str, when: datetime, error: str) -> None:
        await self._deliveries.update_one(
            {"_id": key, "status": "sending"}, {"$set": {"status": "pending", "next_attempt_at": when, "last_error": error}}
        )

    async def by_provider_id(self, provider_message_id: str) -> dict | None:
        return await self._deliveries.find_one({"provider_message_id": provider_message_id})

    async def mark(self, key: str, fields: dict[str, Any], *events: Envelope) -> None:
        await self._deliveries.update_one({"_id": key}, with_events({"$set": fields}, *events))

    async def cancel_for(self, recipient_id: str, channel: str, now: datetime) -> None:
        await self._deliveries.update_many(
            {"recipient_id": recipient_id, "channel": channel, "status": "pending"},
            {"$set": {"status": "cancelled", "cancelled_at": now, "last_error": "opted_out"}},
        )

    async def of(self, recipient_id: str) -> list[dict]:
        return [d async for d in self._deliveries.find({"recipient_id": recipient_id}, {"_outbox": 0})]
