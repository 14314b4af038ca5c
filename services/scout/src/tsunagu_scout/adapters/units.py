"""Bounded pools of numbered units: monthly quota, awaiting-answer slots, the one open scout per pair.

On FerretDB 1.x only an insert on a unique _id is atomic under concurrency
(conditional updates and $inc were measured to lose races: 50 concurrent
`$inc` on one document left 20). So holding a unit means owning the document
`<pool>#<n>` for some n < limit: no interleaving can ever create more than
`limit` of them.

Every read and write names a document by `_id` (FerretDB decodes the whole
collection for any other filter, and this one grows with every scout):
- `<pool>@<holder>` says which unit a holder tried last; it is written before
  that unit's insert, so giving back always finds it (a crash between the two
  leaves a pointer to a unit held by someone else, and the delete checks the holder);
- `<pool>` holds a hint, the unit to try first. It may be stale (two writers
  race, a crash): it only orders the tries, and when its unit is taken every
  unit of the pool is read by `_id` to find a free one, which costs the pool's
  limit in reads, not the collection's size.
"""

import asyncio
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

UNITS = "units"
READ_AT_ONCE = 100  # unit lookups in flight when a pool is read whole


class UnitRepository(Protocol):
    """What the handlers need of a company's monthly quota units."""

    async def take(self, pool: str, limit: int, holder: str) -> bool: ...
    async def give_back(self, pool: str, holder: str) -> None: ...
    async def held(self, pool: str, limit: int) -> int: ...
    async def holders(self, pool: str, limit: int) -> list[str]: ...


class MongoUnits:
    def __init__(self, db: AsyncDatabase) -> None:
        self._units = db[UNITS]

    async def ensure_indexes(self) -> None:
        """Nothing beyond `_id`: every unit, pointer and hint is addressed by it."""

    async def take(self, pool: str, limit: int, holder: str) -> bool:
        """Hold one free unit of the pool for `holder`; False when all `limit` are held."""
        head = await self._units.find_one({"_id": pool})
        hint = head.get("next", 0) if head else 0
        if hint < limit and await self._try(pool, hint, holder):
            return True
        for n in await self._free(pool, limit):
            if await self._try(pool, n, holder):
                return True
        await self._units.delete_one({"_id": _pointer(pool, holder)})  # it names a unit of another
        return False

    async def give_back(self, pool: str, holder: str) -> None:
        """Free the unit `holder` holds in the pool, if any (idempotent)."""
        pointer = await self._units.find_one({"_id": _pointer(pool, holder)})
        if pointer is None:
            return
        freed = await self._units.delete_one({"_id": _unit(pool, pointer["n"]), "holder": holder})
        if freed.deleted_count:
            await self._units.update_one({"_id": pool}, {"$min": {"next": pointer["n"]}}, upsert=True)
        await self._units.delete_one({"_id": _pointer(pool, holder)})

    async def held(self, pool: str, limit: int) -> int:
        """How many of the pool's `limit` units are held (one read per unit)."""
        return limit - len(await self._free(pool, limit))

    async def holders(self, pool: str, limit: int) -> list[str]:
        """Who holds the pool's units (one read per unit)."""
        found = await asyncio.gather(*(self._units.find_one({"_id": _unit(pool, n)}) for n in range(limit)))
        return [unit["holder"] for unit in found if unit is not None]

    async def _try(self, pool: str, n: int, holder: str) -> bool:
        await self._units.update_one({"_id": _pointer(pool, holder)}, {"$set": {"n": n}}, upsert=True)
        try:
            await self._units.insert_one({"_id": _unit(pool, n), "holder": holder})
        except DuplicateKeyError:
            return False  # another holder has it
        await self._units.update_one({"_id": pool}, {"$set": {"next": n + 1}}, upsert=True)
        return True

    async def _free(self, pool: str, limit: int) -> list[int]:
        free: list[int] = []
        for start in range(0, limit, READ_AT_ONCE):
            numbers = range(start, min(limit, start + READ_AT_ONCE))
            found = await asyncio.gather(*(self._units.find_one({"_id": _unit(pool, n)}, {"_id": 1})
                                           for n in numbers))
            free.extend(n for n, unit in zip(numbers, found, strict=True) if unit is None)
        return free


def _unit(pool: str, n: int) -> str:
    return f"{pool}#{n}"


def _pointer(pool: str, holder: str) -> str:
    return f"{pool}@{holder}"


def quota_pool(company_id: str, month: str, tier: str) -> str:
    return f"quota:{company_id}:{month}:{tier}"


def slot_pool(company_id: str) -> str:
    return f"slots:{company_id}"


def pair_pool(company_id: str, candidate_id: str) -> str:
    return f"pair:{company_id}:{candidate_id}"


def closing_pool(scout_id: str) -> str:
    return f"close:{scout_id}"
