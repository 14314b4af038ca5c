"""Bounded pools of numbered units: monthly quota, awaiting-answer slots, the one open scout per pair.

On FerretDB 1.x only an insert on a unique _id is atomic under concurrency
(conditional updates and $inc were measured to lose races: 50 concurrent
`$inc` on one document left 20). So holding a unit means owning the document
`<pool>#<n>` for some n < limit: no interleaving can ever create more than
`limit` of them, and giving one back is an idempotent delete by its holder.
"""

from typing import Protocol
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

UNITS = "units"


class UnitRepository(Protocol):
    """What the handlers need of a company's monthly quota units."""

    async def take(self, pool: str, limit: int, holder: str) -> bool: ...
    async def give_back(self, pool: str, holder: str) -> None: ...
    async def held(self, pool: str) -> int: ...


class MongoUnits:
    def __init__(self, db: AsyncDatabase) -> None:
        self._units = db[UNITS]

    async def ensure_indexes(self) -> None:
        await self._units.create_index([("pool", 1), ("holder", 1)])

    async def take(self, pool: str, limit: int, holder: str) -> bool:
        """Hold one free unit of the pool for `holder`; False when all `limit` are held."""
        held = {d["n"] async for d in self._units.find({"pool": pool}, {"n": 1})}
        for n in range(limit):
            if n in held:
                continue
            try:
                await self._units.insert_one({"_id": f"{pool}#{n}", "pool": pool, "n": n, "holder": holder})
                return True
            except DuplicateKeyError:
                continue  # another holder took this one between our read and our insert
        return False

    async def give_back(self, pool: str, holder: str) -> None:
        await self._units.delete_many({"pool": pool, "holder": holder})

    async def held(self, pool: str) -> int:
        return await self._units.count_documents({"pool": pool})


def quota_pool(company_id: str, month: str, tier: str) -> str:
    return f"quota:{company_id}:{month}:{tier}"


def slot_pool(company_id: str) -> str:
    return f"slots:{company_id}"


def pair_pool(company_id: str, candidate_id: str) -> str:
    return f"pair:{company_id}:{candidate_id}"


def closing_pool(scout_id: str) -> str:
    return f"close:{scout_id}"
