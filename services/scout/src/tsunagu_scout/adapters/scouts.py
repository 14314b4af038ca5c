"""Scouts, the company-student relation, and the monthly quota counters.

FerretDB has no multi-document transactions: every guard is one conditional
single-document update, and a step that fails after an earlier one succeeded
gives back what the earlier one took.
"""

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import new_document, with_events

from tsunagu_scout.domain.model import Relation, Scout, Tier

SCOUTS = "scouts"
RELATIONS = "relations"
QUOTAS = "quota_counters"


def relation_id(company_id: str, candidate_id: str) -> str:
    return f"{company_id}:{candidate_id}"


def _scout(document: dict[str, Any] | None) -> Scout | None:
    return Scout.model_validate({**document, "scout_id": document["_id"]}) if document else None


class MongoScouts:
    def __init__(self, db: AsyncDatabase) -> None:
        self._scouts = db[SCOUTS]
        self._relations = db[RELATIONS]
        self._quotas = db[QUOTAS]

    async def ensure_indexes(self) -> None:
        await self._scouts.create_index([("candidate_id", 1), ("sent_at", -1)])
        await self._scouts.create_index([("company_id", 1), ("sent_at", -1)])
        await self._scouts.create_index([("state", 1), ("expires_at", 1)])
        await self._relations.create_index("candidate_id")

    # -- quota -------------------------------------------------------------
    async def take_quota(self, company_id: str, month: str, tier: Tier, limit: int) -> bool:
        """Consume one unit of this month's quota for the tier, unless it is spent (atomic)."""
        key = f"{company_id}:{month}"
        await self._quotas.update_one(
            {"_id": key},
            {"$setOnInsert": {"company_id": company_id, "month": month, "used": {"regular": 0, "premium": 0}}},
            upsert=True,
        )
        taken = await self._quotas.find_one_and_update(
            {"_id": key, f"used.{tier}": {"$lt": limit}}, {"$inc": {f"used.{tier}": 1}}, projection={"_id": 1}
        )
        return taken is not None

    async def give_back_quota(self, company_id: str, month: str, tier: Tier) -> None:
        await self._quotas.update_one(
            {"_id": f"{company_id}:{month}", f"used.{tier}": {"$gt": 0}}, {"$inc": {f"used.{tier}": -1}}
        )

    async def quota_used(self, company_id: str, month: str) -> dict[str, int]:
        document = await self._quotas.find_one({"_id": f"{company_id}:{month}"})
        return dict(document["used"]) if document else {"regular": 0, "premium": 0}

    # -- relation ----------------------------------------------------------
    async def relation(self, company_id: str, candidate_id: str) -> Relation | None:
        document = await self._relations.find_one({"_id": relation_id(company_id, candidate_id)})
        return Relation.model_validate(document) if document else None

    async def claim_relation(self, company_id: str, candidate_id: str, scout_id: str, now: datetime) -> bool:
        """Reserve the pair for a new scout when no block, thread, awaiting scout or cooldown stands in the way."""
        key = relation_id(company_id, candidate_id)
        await self._relations.update_one(
            {"_id": key},
            {"$setOnInsert": {"company_id": company_id, "candidate_id": candidate_id, "blocked": False,
                              "cooldown_until": None, "open_scout_id": None, "thread_open": False}},
            upsert=True,
        )
        claimed = await self._relations.find_one_and_update(
            {"_id": key, "blocked": False, "thread_open": False, "open_scout_id": None,
             "$or": [{"cooldown_until": None}, {"cooldown_until": {"$lte": now}}]},
            {"$set": {"open_scout_id": scout_id}},
            projection={"_id": 1},
        )
        return claimed is not None

    async def release_relation(self, company_id: str, candidate_id: str, scout_id: str, fields: dict[str, Any]) -> None:
        """Let go of the pair held by this scout, setting cooldown or thread state with it."""
        await self._relations.update_one(
            {"_id": relation_id(company_id, candidate_id), "open_scout_id": scout_id},
            {"$set": {"open_scout_id": None, **fields}},
        )

    async def set_relation(self, company_id: str, candidate_id: str, fields: dict[str, Any], *events: Envelope) -> None:
        defaults = {"blocked": False, "cooldown_until": None, "open_scout_id": None, "thread_open": False}
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        update["$setOnInsert"] = {"company_id": company_id, "candidate_id": candidate_id,
                                  **{k: v for k, v in defaults.items() if k not in fields}}
        await self._relations.update_one({"_id": relation_id(company_id, candidate_id)}, update, upsert=True)

    async def blocked_companies(self, candidate_id: str) -> set[str]:
        cursor = self._relations.find({"candidate_id": candidate_id, "blocked": True}, {"company_id": 1})
        return {d["company_id"] for d in await cursor.to_list()}

    async def forget_candidate(self, candidate_id: str) -> None:
        await self._relations.delete_many({"candidate_id": candidate_id})

    # -- scouts ------------------------------------------------------------
    async def add(self, scout: Scout, *events: Envelope) -> None:
        document = {"_id": scout.scout_id, **scout.model_dump(exclude={"scout_id"})}
        await self._scouts.insert_one(new_document(document, *events))

    async def get(self, scout_id: str) -> Scout | None:
        return _scout(await self._scouts.find_one({"_id": scout_id}, {"_outbox": 0}))

    async def received(self, candidate_id: str) -> list[Scout]:
        cursor = self._scouts.find({"candidate_id": candidate_id}, {"_outbox": 0}).sort("sent_at", -1)
        return [_scout(d) for d in await cursor.to_list()]

    async def sent(self, company_id: str, limit: int = 200) -> list[Scout]:
        cursor = self._scouts.find({"company_id": company_id}, {"_outbox": 0}).sort("sent_at", -1).limit(limit)
        return [_scout(d) for d in await cursor.to_list()]

    async def mark_viewed(self, scout_id: str, candidate_id: str, now: datetime, *events: Envelope) -> bool:
        """First view only: later views change nothing and publish nothing."""
        result = await self._scouts.update_one(
            {"_id": scout_id, "candidate_id": candidate_id, "viewed_at": None},
            with_events({"$set": {"viewed_at": now}}, *events),
        )
        return result.modified_count == 1

    async def close(self, scout_id: str, fields: dict[str, Any], *events: Envelope) -> Scout | None:
        """Move an awaiting scout to a closed state (with its events); None when it was not awaiting."""
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        document = await self._scouts.find_one_and_update(
            {"_id": scout_id, "state": "awaiting"}, update, projection={"_outbox": 0},
            return_document=ReturnDocument.AFTER,
        )
        return _scout(document)

    async def claim_slot_release(self, scout_id: str) -> bool:
        """Only one caller frees a closed scout's slot (a replayed event or the sweeper find it done)."""
        claimed = await self._scouts.find_one_and_update(
            {"_id": scout_id, "state": {"$ne": "awaiting"}, "slot_released": False},
            {"$set": {"slot_released": True}}, projection={"_id": 1},
        )
        return claimed is not None

    async def due(self, now: datetime, limit: int = 500) -> list[Scout]:
        cursor = self._scouts.find({"state": "awaiting", "expires_at": {"$lte": now}}, {"_outbox": 0}).limit(limit)
        return [_scout(d) for d in await cursor.to_list()]

    async def unreleased(self, limit: int = 500) -> list[Scout]:
        cursor = self._scouts.find({"state": {"$ne": "awaiting"}, "slot_released": False}, {"_outbox": 0}).limit(limit)
        return [_scout(d) for d in await cursor.to_list()]

    async def awaiting_for(self, candidate_id: str) -> list[Scout]:
        cursor = self._scouts.find({"candidate_id": candidate_id, "state": "awaiting"}, {"_outbox": 0})
        return [_scout(d) for d in await cursor.to_list()]

    async def erase_reasons(self, candidate_id: str) -> None:
        await self._scouts.update_many({"candidate_id": candidate_id}, {"$set": {"reason": "", "decline_reason": None}})
