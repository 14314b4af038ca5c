"""What messaging keeps from other services' events, and its per-sender rate counters.

- companies: whether each company is active (from CompanyStatusChanged);
- erased_candidates: candidates whose profile was deleted (no thread opens for them again);
- candidate_zones: each candidate's time zone (from ContactPreferencesChanged);
- rate_counters: messages per sender per fixed window, in the database so the
  limit holds across replicas.
"""

from datetime import datetime
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

DEFAULT_ZONE = "Asia/Tokyo"


class Directory(Protocol):
    """What messaging knows of companies and candidates from other services' events."""

    async def set_company_status(self, company_id: str, *, name: str, active: bool, changed_at: datetime) -> None: ...
    async def company_active(self, company_id: str) -> bool: ...
    async def company_name(self, company_id: str) -> str | None: ...
    async def mark_erased(self, candidate_id: str, at: datetime) -> None: ...
    async def is_erased(self, candidate_id: str) -> bool: ...
    async def set_zone(self, candidate_id: str, time_zone: str, changed_at: datetime) -> None: ...
    async def zone_of(self, candidate_id: str) -> str: ...
    async def count_message(self, sender_id: str, window_start: int) -> int: ...


class MongoDirectory:
    def __init__(self, db: AsyncDatabase) -> None:
        self._companies = db["companies"]
        self._erased = db["erased_candidates"]
        self._zones = db["candidate_zones"]
        self._counters = db["rate_counters"]

    async def set_company_status(self, company_id: str, *, name: str, active: bool, changed_at: datetime) -> None:
        """Keep the newest status only (events of one company arrive in order, redeliveries may not)."""
        fields = {"name": name, "active": active, "changed_at": changed_at}
        result = await self._companies.update_one(
            {"_id": company_id, "changed_at": {"$lte": changed_at}}, {"$set": fields}
        )
        if result.matched_count == 0:
            try:
                await self._companies.insert_one({"_id": company_id, **fields})
            except DuplicateKeyError:
                pass  # a newer status is already stored

    async def company_active(self, company_id: str) -> bool:
        """Unknown companies count as active: only active companies can scout."""
        document = await self._companies.find_one({"_id": company_id})
        return bool(document["active"]) if document else True

    async def company_name(self, company_id: str) -> str | None:
        document = await self._companies.find_one({"_id": company_id})
        return document.get("name") if document else None

    async def mark_erased(self, candidate_id: str, at: datetime) -> None:
        await self._erased.update_one({"_id": candidate_id}, {"$setOnInsert": {"at": at}}, upsert=True)
        await self._zones.delete_one({"_id": candidate_id})

    async def is_erased(self, candidate_id: str) -> bool:
        return await self._erased.find_one({"_id": candidate_id}, {"_id": 1}) is not None

    async def set_zone(self, candidate_id: str, time_zone: str, changed_at: datetime) -> None:
        await self._zones.update_one(
            {"_id": candidate_id}, {"$set": {"time_zone": time_zone, "changed_at": changed_at}}, upsert=True
        )

    async def zone_of(self, candidate_id: str) -> str:
        document = await self._zones.find_one({"_id": candidate_id})
        return document["time_zone"] if document else DEFAULT_ZONE

    async def count_message(self, sender_id: str, window_start: int) -> int:
        """One more message by this sender in this window; the count including it."""
        document = await self._counters.find_one_and_update(
            {"_id": f"{sender_id}:{window_start}"},
            {"$inc": {"count": 1}, "$setOnInsert": {"sender_id": sender_id, "window_start": window_start}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        count = int(document["count"])
        if count == 1:  # a new window began: the sender's previous counter is of no use any more
            # (found through `<sender>:last`, by `_id`: a filter on the sender decodes every counter)
            previous = await self._counters.find_one_and_update(
                {"_id": f"{sender_id}:last"}, {"$max": {"window_start": window_start}}, upsert=True)
            if previous and previous["window_start"] < window_start:
                await self._counters.delete_one({"_id": f"{sender_id}:{previous['window_start']}"})
        return count
