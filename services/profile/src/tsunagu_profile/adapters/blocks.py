"""Companies each student blocked (CompanyBlocked, scout.events): search hides her from them."""

from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase

COMPANY_BLOCKS = "company_blocks"


class CompanyBlocks(Protocol):
    async def record(self, *, candidate_id: str, company_id: str) -> None: ...
    async def of(self, candidate_id: str) -> list[str]: ...
    async def of_many(self, candidate_ids: list[str]) -> dict[str, list[str]]: ...


class MongoCompanyBlocks:
    """One document per student, by her id; recording a block twice changes nothing."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._blocks = db[COMPANY_BLOCKS]

    async def record(self, *, candidate_id: str, company_id: str) -> None:
        await self._blocks.update_one({"_id": candidate_id}, {"$addToSet": {"companies": company_id}}, upsert=True)

    async def of(self, candidate_id: str) -> list[str]:
        document = await self._blocks.find_one({"_id": candidate_id})
        return list(document["companies"]) if document else []

    async def of_many(self, candidate_ids: list[str]) -> dict[str, list[str]]:
        found = self._blocks.find({"_id": {"$in": candidate_ids}})
        return {d["_id"]: list(d["companies"]) async for d in found}
