"""Scouts and the company-student relation (block, cooldown, open thread).

The guards that must hold under concurrency (quota, slots, one open scout per
pair, closing once) are unit pools in adapters/units.py.
"""

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.numbered import NumberedList
from tsunagu_shared.outbox import new_document, outbox_collection, with_events

from tsunagu_scout.domain.model import Relation, Scout

SCOUTS = "scouts"
RELATIONS = "relations"
# her scouts and the companies she has a relation with, as lists read by `_id`
# (tsunagu_shared.numbered): FerretDB decodes the whole collection for a filter on her id
CANDIDATE_LISTS = "candidate_lists"


def relation_id(company_id: str, candidate_id: str) -> str:
    return f"{company_id}:{candidate_id}"


def _digest(candidate_id: str) -> str:
    """Her lists' names do not spell out her id."""
    return hashlib.sha256(candidate_id.encode()).hexdigest()


def _scout(document: dict[str, Any] | None) -> Scout | None:
    return Scout.model_validate({**document, "scout_id": document["_id"]}) if document else None


class ScoutRepository(Protocol):
    """What the handlers need of the scouts and the company–student relations."""

    async def relation(self, company_id: str, candidate_id: str) -> Relation | None: ...
    async def set_relation(self, company_id: str, candidate_id: str, fields: dict[str, Any],
                           *events: Envelope) -> None: ...
    async def blocked_companies(self, candidate_id: str) -> set[str]: ...
    async def forget_candidate(self, candidate_id: str) -> None: ...
    async def add(self, scout: Scout, *events: Envelope) -> None: ...
    async def get(self, scout_id: str) -> Scout | None: ...
    async def mark_viewed(self, scout_id: str, candidate_id: str, now: datetime, *events: Envelope) -> bool: ...
    async def close(self, scout_id: str, fields: dict[str, Any], *events: Envelope) -> Scout | None: ...
    async def mark_settled(self, scout_id: str) -> None: ...
    async def awaiting_for(self, candidate_id: str) -> list[Scout]: ...
    async def awaiting_between(self, company_id: str, candidate_id: str) -> list[Scout]: ...
    async def erase_reasons(self, candidate_id: str) -> None: ...


class MongoScouts:
    def __init__(self, db: AsyncDatabase) -> None:
        self._scouts = outbox_collection(db, SCOUTS)
        self._relations = outbox_collection(db, RELATIONS)
        self._lists = db[CANDIDATE_LISTS]

    async def ensure_indexes(self) -> None:
        # the lists read the scouts index (OpenSearch); these serve erasure and a block's withdrawal
        await self._scouts.create_index([("candidate_id", 1), ("state", 1)])
        await self._relations.create_index("candidate_id")

    # -- relation ----------------------------------------------------------
    async def relation(self, company_id: str, candidate_id: str) -> Relation | None:
        document = await self._relations.find_one({"_id": relation_id(company_id, candidate_id)})
        return Relation.model_validate(document) if document else None

    async def set_relation(self, company_id: str, candidate_id: str, fields: dict[str, Any], *events: Envelope) -> None:
        defaults = {"blocked": False, "cooldown_until": None, "thread_open": False}
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        update["$setOnInsert"] = {"company_id": company_id, "candidate_id": candidate_id,
                                  **{k: v for k, v in defaults.items() if k not in fields}}
        key = relation_id(company_id, candidate_id)
        if await self._relations.find_one({"_id": key}, {"_id": 1}) is None:  # (listed before it was written)
            await self._related(candidate_id).append(company_id, once=True)
        await self._relations.update_one({"_id": key}, update, upsert=True)

    async def blocked_companies(self, candidate_id: str) -> set[str]:
        blocked = set()
        for company_id in await self._related(candidate_id).read():
            relation = await self._relations.find_one({"_id": relation_id(company_id, candidate_id)}, {"blocked": 1})
            if relation and relation.get("blocked"):
                blocked.add(company_id)
        return blocked

    async def forget_candidate(self, candidate_id: str) -> None:
        for company_id in await self._related(candidate_id).read():
            await self._relations.delete_one({"_id": relation_id(company_id, candidate_id)})
        await self._related(candidate_id).drop()

    def _related(self, candidate_id: str) -> NumberedList:
        return NumberedList(self._lists, f"relations:{_digest(candidate_id)}")

    def _hers(self, candidate_id: str) -> NumberedList:
        return NumberedList(self._lists, f"scouts:{_digest(candidate_id)}")

    # -- scouts ------------------------------------------------------------
    async def add(self, scout: Scout, *events: Envelope) -> None:
        document = {"_id": scout.scout_id, **scout.model_dump(exclude={"scout_id"})}
        await self._hers(scout.candidate_id).append(scout.scout_id)  # first: a crash leaves an entry naming nothing
        await self._scouts.insert_one(new_document(document, *events))

    async def get(self, scout_id: str) -> Scout | None:
        return _scout(await self._scouts.find_one({"_id": scout_id}, {"_outbox": 0}))

    def every_scout(self, *, batch_size: int) -> AsyncIterator[Scout]:
        """Every stored scout in one pass, in no particular order (a rebuild of the scouts index;
        a sorted or ranged read would decode the whole collection at every page on FerretDB)."""
        return self._every(batch_size)

    async def _every(self, batch_size: int) -> AsyncIterator[Scout]:
        async for document in self._scouts.find({}, {"_outbox": 0, "_pending": 0}).batch_size(batch_size):
            yield _scout(document)

    async def mark_viewed(self, scout_id: str, candidate_id: str, now: datetime, *events: Envelope) -> bool:
        """First view only: later views change nothing and publish nothing."""
        result = await self._scouts.update_one(
            {"_id": scout_id, "candidate_id": candidate_id, "viewed_at": None},
            with_events({"$set": {"viewed_at": now}}, *events),
        )
        return result.modified_count == 1

    async def close(self, scout_id: str, fields: dict[str, Any], *events: Envelope) -> Scout | None:
        """Move a scout to its closed state (with its events); the caller holds its closing unit."""
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        document = await self._scouts.find_one_and_update(
            {"_id": scout_id}, update,
            return_document=ReturnDocument.AFTER,
        )
        return _scout(document)

    async def mark_settled(self, scout_id: str) -> None:
        await self._scouts.update_one({"_id": scout_id}, {"$set": {"slot_released": True}})

    async def awaiting_for(self, candidate_id: str) -> list[Scout]:
        scouts = [await self.get(scout_id) for scout_id in await self._hers(candidate_id).read()]
        return [s for s in scouts if s is not None and s.state == "awaiting" and s.candidate_id == candidate_id]

    async def erase_reasons(self, candidate_id: str) -> None:
        for scout_id in await self._hers(candidate_id).read():
            await self._scouts.update_one({"_id": scout_id, "candidate_id": candidate_id},
                                          {"$set": {"reason": "", "decline_reason": None}})
