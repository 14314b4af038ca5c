"""What scout knows about students, their daily recommendations and their "please scout me" requests."""

from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import new_document, outbox_collection

from tsunagu_scout.domain.model import Candidate

CANDIDATES = "candidates"
RECOMMENDATIONS = "recommendations"
EVENT_TITLES = "event_titles"
SCOUT_REQUESTS = "scout_requests"


class AlreadyRequested(Exception):
    pass


def _candidate(document: dict[str, Any] | None) -> Candidate | None:
    return Candidate.model_validate({**document, "candidate_id": document["_id"]}) if document else None


def ignore_duplicates(exc: BulkWriteError) -> None:
    """Re-raise a bulk write error unless every failure is an already-present _id (a replayed chunk)."""
    if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])) or exc.details.get("writeConcernErrors"):
        raise exc


class CandidateRepository(Protocol):
    """What the handlers need of the students scout knows (from profile events), their recommendations and requests."""

    async def get(self, candidate_id: str) -> Candidate | None: ...
    async def upsert(self, candidate_id: str, fields: dict[str, Any]) -> None: ...
    async def name_event(self, event_id: str, title: str) -> None: ...
    async def attended(self, candidate_id: str, event_id: str) -> None: ...
    async def erase(self, candidate_id: str, now: datetime) -> None: ...
    async def directory(self) -> tuple[dict[str, str], set[str]]: ...
    async def add_many(self, candidates: list[Candidate]) -> None: ...
    async def recommendations(self, candidate_id: str, day: str) -> list[dict] | None: ...
    async def keep_recommendations(self, candidate_id: str, day: str, companies: list[dict]) -> list[dict]: ...
    async def add_request(self, request: dict[str, Any], *events: Envelope) -> None: ...
    async def requests_for(self, company_id: str, limit: int = 200) -> list[dict]: ...


class MongoCandidates:
    def __init__(self, db: AsyncDatabase) -> None:
        self._candidates = db[CANDIDATES]
        self._recommendations = db[RECOMMENDATIONS]
        self._event_titles = db[EVENT_TITLES]
        self._requests = outbox_collection(db, SCOUT_REQUESTS)

    async def ensure_indexes(self) -> None:
        await self._requests.create_index([("company_id", 1), ("requested_at", -1)])
        await self._recommendations.create_index("candidate_id")

    async def get(self, candidate_id: str) -> Candidate | None:
        return _candidate(await self._candidates.find_one({"_id": candidate_id}))

    async def upsert(self, candidate_id: str, fields: dict[str, Any]) -> None:
        """Merge facts from a profile event; a deleted student stays deleted."""
        try:
            await self._candidates.update_one(
                {"_id": candidate_id, "deleted": {"$ne": True}},
                {"$set": fields, "$setOnInsert": {"deleted": False}}, upsert=True,
            )
        except DuplicateKeyError:
            pass  # she was deleted: the upsert found no live document and her id is taken by the marker

    async def name_event(self, event_id: str, title: str) -> None:
        await self._event_titles.update_one({"_id": event_id}, {"$set": {"title": title}}, upsert=True)

    async def attended(self, candidate_id: str, event_id: str) -> None:
        """She checked in at this event: its title is something of hers a scout may name."""
        titled = await self._event_titles.find_one({"_id": event_id})
        if titled is not None:
            await self._candidates.update_one({"_id": candidate_id, "deleted": {"$ne": True}},
                                              {"$addToSet": {"events_attended": titled["title"]}})

    async def erase(self, candidate_id: str, now: datetime) -> None:
        """Keep only that the id was deleted (so late events cannot bring her back)."""
        await self._candidates.replace_one({"_id": candidate_id}, {"deleted": True, "deleted_at": now}, upsert=True)
        await self._recommendations.delete_many({"candidate_id": candidate_id})
        await self._requests.update_many({"candidate_id": candidate_id}, {"$set": {"display_name": ""}})

    async def directory(self) -> tuple[dict[str, str], set[str]]:
        """Every known email -> candidate id, and every live candidate id (one scan, for CSV linking)."""
        emails: dict[str, str] = {}
        ids: set[str] = set()
        async for document in self._candidates.find({"deleted": {"$ne": True}}, {"email": 1}):
            ids.add(document["_id"])
            if document.get("email"):
                emails.setdefault(document["email"], document["_id"])
        return emails, ids

    async def add_many(self, candidates: list[Candidate]) -> None:
        """Applicant identities created by a campaign import (idempotent on replay)."""
        if not candidates:
            return
        documents = [{"_id": c.candidate_id, **c.model_dump(exclude={"candidate_id"})} for c in candidates]
        try:
            await self._candidates.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            ignore_duplicates(exc)

    # -- recommendations and requests --------------------------------------
    async def recommendations(self, candidate_id: str, day: str) -> list[dict] | None:
        document = await self._recommendations.find_one({"_id": f"{candidate_id}:{day}"})
        return document["companies"] if document else None

    async def keep_recommendations(self, candidate_id: str, day: str, companies: list[dict]) -> list[dict]:
        """Store the day's list once; a concurrent first request keeps whichever was stored first."""
        try:
            await self._recommendations.insert_one(
                {"_id": f"{candidate_id}:{day}", "candidate_id": candidate_id, "day": day, "companies": companies}
            )
            return companies
        except DuplicateKeyError:
            return await self.recommendations(candidate_id, day) or companies

    async def add_request(self, request: dict[str, Any], *events: Envelope) -> None:
        try:
            await self._requests.insert_one(new_document(request, *events))
        except DuplicateKeyError as exc:
            raise AlreadyRequested(request["_id"]) from exc

    async def requests_for(self, company_id: str, limit: int = 200) -> list[dict]:
        cursor = self._requests.find({"company_id": company_id}, {"_outbox": 0, "_pending": 0})
        return await cursor.sort("requested_at", -1).limit(limit).to_list()
