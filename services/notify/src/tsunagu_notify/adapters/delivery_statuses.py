"""What providers tell us later about a message they accepted (Twilio's status callbacks).

The `deliveries` view is filled by the projector from the channel workers' outcomes; a
provider's status is kept beside it (`provider_status`), so an outcome shown after the
callback arrived does not hide it, and the event it publishes leaves through the outbox."""

from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import outbox_collection, with_events

from tsunagu_notify.adapters.repository import DELIVERIES


class DeliveryRecords(Protocol):
    """A delivery found by the provider's message id, and marked with what the provider said (DeliveryStatuses)."""

    async def by_provider_id(self, provider_message_id: str) -> dict | None: ...

    async def mark(self, key: str, fields: dict[str, Any], *events: Envelope) -> None: ...


class DeliveryStatuses:
    def __init__(self, db: AsyncDatabase) -> None:
        self._deliveries = outbox_collection(db, DELIVERIES)

    async def by_provider_id(self, provider_message_id: str) -> dict | None:
        return await self._deliveries.find_one({"provider_message_id": provider_message_id})

    async def mark(self, key: str, fields: dict[str, Any], *events: Envelope) -> None:
        await self._deliveries.update_one({"_id": key}, with_events({"$set": fields}, *events))
