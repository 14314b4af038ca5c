"""ATS CSV campaigns (the import job and its progress) and their applicants."""

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import new_document, with_events

from tsunagu_scout.adapters.candidates import ignore_duplicates

CAMPAIGNS = "campaigns"
APPLICANTS = "campaign_applicants"
HIDDEN = {"_outbox": 0, "_pending": 0}


class MongoCampaigns:
    def __init__(self, db: AsyncDatabase) -> None:
        self._campaigns = db[CAMPAIGNS]
        self._applicants = db[APPLICANTS]

    async def ensure_indexes(self) -> None:
        await self._applicants.create_index([("campaign_id", 1), ("row", 1)])
        await self._applicants.create_index("share_token", unique=True)
        await self._applicants.create_index("candidate_id")

    async def add(self, campaign: dict[str, Any]) -> None:
        await self._campaigns.insert_one(new_document(campaign))

    async def get(self, campaign_id: str) -> dict[str, Any] | None:
        return await self._campaigns.find_one({"_id": campaign_id}, HIDDEN)

    async def progress(self, campaign_id: str, fields: dict[str, Any], *events: Envelope) -> None:
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        await self._campaigns.update_one({"_id": campaign_id}, update)

    async def add_applicants(self, documents: list[dict[str, Any]]) -> None:
        """One chunk of applicants, each with its CampaignApplicantImported in its own document."""
        try:
            await self._applicants.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            ignore_duplicates(exc)

    async def applicants(self, campaign_id: str) -> list[dict[str, Any]]:
        return await self._applicants.find({"campaign_id": campaign_id}, HIDDEN).sort("row", 1).to_list()

    async def respond(self, query: dict[str, Any], now: datetime, make_event) -> dict[str, Any] | None:
        """Mark the applicant as responded (first answer only) with CampaignApplicantResponded."""
        applicant = await self._applicants.find_one(query, HIDDEN)
        if applicant is None:
            return None
        if applicant.get("responded_at") is None:
            updated = await self._applicants.find_one_and_update(
                {"_id": applicant["_id"], "responded_at": None},
                with_events({"$set": {"status": "responded", "responded_at": now}}, make_event(applicant)),
                return_document=ReturnDocument.AFTER,
            )
            return updated or await self._applicants.find_one({"_id": applicant["_id"]}, HIDDEN)
        return applicant

    async def erase_candidate(self, candidate_id: str) -> None:
        await self._applicants.update_many(
            {"candidate_id": candidate_id},
            {"$set": {"name": "", "email": None, "phone": None, "status": "erased"}},
        )
