"""The set of event ids a consumer group has already processed (consumer-side dedupe)."""

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class ProcessedEvents:
    """Backed by one collection per group in the service's own database."""

    def __init__(self, db: AsyncDatabase[Any], group: str) -> None:
        self._collection = db[f"processed_events.{group}"]

    async def seen(self, event_id: str) -> bool:
        return await self._collection.find_one({"_id": event_id}, {"_id": 1}) is not None

    async def mark(self, event_id: str) -> None:
        try:
            await self._collection.insert_one({"_id": event_id, "at": datetime.now(UTC)})
        except DuplicateKeyError:
            pass
