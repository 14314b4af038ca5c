"""Deliveries waiting for a channel worker, one document per idempotency key.

The key is (intent, recipient, channel): a delivery is created at most once, and a
worker claims it (pending -> sending, with a lease) before calling the provider and
marks it sent in the same write as its NotificationSent event. A sent delivery is
never claimed again, so a redelivered message or a retried event cannot send twice.

Every write here filters by `_id` alone (the only filter FerretDB 1.24 on SQLite does not
answer by decoding the whole collection). A claim is won by inserting `<key>#<attempt>`
into `delivery_claims`: of two workers that saw the same attempt, exactly one wins.
Finding work is a read: the policy stage hands new keys to the worker in process; a
periodic read-only sweep finds retries that fell due and leases that expired.
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import new_document, with_events

from tsunagu_notify.adapters.repository import DELIVERIES
from tsunagu_notify.domain.recipient import idempotency_key

__all__ = ["CLAIMS", "DeliveryQueue", "idempotency_key"]

CLAIMS = "delivery_claims"


class DeliveryQueue:
    def __init__(self, db: AsyncDatabase) -> None:
        self._deliveries = db[DELIVERIES]
        self._claims = db[CLAIMS]

    async def add(self, delivery: dict[str, Any]) -> bool:
        """Create the delivery unless its key exists already; True when created."""
        try:
            await self._deliveries.insert_one(new_document({**delivery, "status": "pending", "attempts": 0}))
            return True
        except DuplicateKeyError:
            return False

    async def get(self, key: str) -> dict | None:
        return await self._deliveries.find_one({"_id": key}, {"_outbox": 0})

    async def due(self, now: datetime, *, limit: int = 500) -> list[str]:
        """Keys of deliveries a worker may claim now (a read: retries due, leases expired)."""
        cursor = self._deliveries.find(
            {"$or": [{"status": "pending", "next_attempt_at": {"$lte": now}},
                     {"status": "sending", "lease_until": {"$lt": now}}]}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in await cursor.to_list()]

    async def claim(self, doc: dict, now: datetime, lease: timedelta) -> dict | None:
        """Claim the next attempt of a claimable delivery; None when another worker won it."""
        attempt = doc.get("attempts", 0) + 1
        claim_id = f"{doc['_id']}#{attempt}"
        try:
            await self._claims.insert_one({"_id": claim_id, "at": now})
        except DuplicateKeyError:
            # A claim whose delivery update below never landed (the database went away in
            # between: seen in the outage fault test) would block this attempt for good. Once
            # its lease is over nobody can be sending under it, so one worker may take it over.
            taken = await self._claims.find_one_and_update(
                {"_id": claim_id, "at": {"$lt": now - lease}}, {"$set": {"at": now}})
            if taken is None:
                return None
        fields = {"status": "sending", "lease_until": now + lease, "attempts": attempt}
        await self._deliveries.update_one({"_id": doc["_id"]}, {"$set": fields})
        return {**doc, **fields}

    async def finish(self, key: str, status: str, fields: dict[str, Any], *events: Envelope) -> None:
        """The claimed attempt's outcome (the claim makes this worker the only writer)."""
        await self._deliveries.update_one({"_id": key}, with_events({"$set": {"status": status, **fields}}, *events))

    async def retry_at(self, key: str, when: datetime, error: str) -> None:
        await self._deliveries.update_one(
            {"_id": key}, {"$set": {"status": "pending", "next_attempt_at": when, "last_error": error}}
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
