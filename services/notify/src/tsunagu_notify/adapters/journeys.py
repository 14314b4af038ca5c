"""Stored journey steps (one document per step, unique id) and the directory attributes segments read."""

from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_notify.domain.journeys.definitions import SegmentFilter
from tsunagu_notify.domain.journeys.planner import PlannedStep, StopOrder

STEPS, ATTRIBUTES, ANSWERS = "journey_steps", "attributes", "survey_answers"
_OPEN = ["pending", "claimed"]


def _due_or_expired(now: datetime) -> dict[str, Any]:
    return {"$or": [{"status": "pending", "due_at": {"$lte": now}},
                    {"status": "claimed", "lease_until": {"$lt": now}}]}


class SegmentMembers(Protocol):
    """Who is in a segment (JourneyStore)."""

    async def members(self, segment: SegmentFilter) -> list[str]: ...


class JourneyStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.steps = db[STEPS]
        self.attributes = db[ATTRIBUTES]
        self.answers = db[ANSWERS]

    async def ensure_indexes(self) -> None:
        await self.steps.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.steps.create_index([("recipient_id", ASCENDING), ("sequence", ASCENDING)])
        await self.answers.create_index([("candidate_id", ASCENDING)])
        await self.answers.create_index([("question_id", ASCENDING), ("answer", ASCENDING)])

    # --- steps ---
    async def add(self, step: PlannedStep) -> bool:
        """Store a planned step; False when it exists already (a repeated trigger changes nothing)."""
        try:
            await self.steps.insert_one({"_id": step.step_id, **step.model_dump(mode="python")})
            return True
        except DuplicateKeyError:
            return False

    async def due(self, now: datetime, *, limit: int = 200) -> list[str]:
        """Ids of steps due now (or whose claim expired), earliest first; a read, never a write.

        FerretDB scans the collection for this filter, so it is a plain find (no write turn
        taken); the claim itself goes by `_id`."""
        cursor = self.steps.find(_due_or_expired(now), {"_id": 1, "due_at": 1}).limit(limit)
        return [d["_id"] for d in sorted(await cursor.to_list(), key=lambda d: d["due_at"])]

    async def claim(self, step_id: str, now: datetime, lease: timedelta) -> PlannedStep | None:
        """Take one due step for `lease`; None when it is not due or another runner took it first.

        A conditional update whose filter starts with the `_id` equality (narrowed by `_id`), so
        two runners racing for the same step cannot both win it."""
        doc = await self.steps.find_one_and_update(
            {"_id": step_id, **_due_or_expired(now)},
            {"$set": {"status": "claimed", "lease_until": now + lease}},
            return_document=ReturnDocument.AFTER,
        )
        return PlannedStep.model_validate(doc) if doc else None

    async def finish(self, step: PlannedStep, status: str, now: datetime) -> bool:
        """claimed -> fired / skipped; False when it was stopped meanwhile."""
        result = await self.steps.update_one({"_id": step.step_id, "status": "claimed"},
                                             {"$set": {"status": status, "finished_at": now}})
        return result.modified_count == 1

    async def stop(self, order: StopOrder, now: datetime) -> list[str]:
        """Stop the open steps the order names; the intent ids of its already fired steps."""
        query: dict[str, Any] = {"recipient_id": order.recipient_id, "sequence": {"$in": list(order.sequences)}}
        if order.instance is not None:
            query["instance"] = order.instance
        if order.company_id is not None:
            query["company_id"] = order.company_id
        if order.keep_round is not None:
            query["round"] = {"$ne": order.keep_round}
        await self.steps.update_many({**query, "status": {"$in": _OPEN}},
                                     {"$set": {"status": "stopped", "stopped_at": now, "stopped_by": order.reason}})
        return [d["intent_id"] async for d in self.steps.find({**query, "status": "fired"}, {"intent_id": 1})]

    async def of(self, recipient_id: str) -> list[dict]:
        return [d async for d in self.steps.find({"recipient_id": recipient_id}).sort("due_at", ASCENDING)]

    # --- what segments read ---
    async def keep_attributes(self, candidate_id: str, values: dict[str, Any]) -> None:
        if values:
            await self.attributes.update_one({"_id": candidate_id}, {"$set": values}, upsert=True)

    async def attributes_of(self, candidate_id: str) -> dict[str, Any]:
        return await self.attributes.find_one({"_id": candidate_id}) or {}

    async def answer(self, candidate_id: str, question_id: str, answer: str, now: datetime) -> None:
        await self.answers.replace_one(
            {"_id": f"{candidate_id}|{question_id}"},
            {"candidate_id": candidate_id, "question_id": question_id, "answer": answer, "answered_at": now},
            upsert=True,
        )

    async def answers_of(self, candidate_id: str) -> dict[str, str]:
        return {d["question_id"]: d["answer"] async for d in self.answers.find({"candidate_id": candidate_id})}

    async def erase(self, candidate_id: str, now: datetime) -> None:
        await self.steps.update_many({"recipient_id": candidate_id, "status": {"$in": _OPEN}},
                                     {"$set": {"status": "stopped", "stopped_at": now, "stopped_by": "erased"}})
        await self.steps.update_many({"recipient_id": candidate_id}, {"$set": {"variables": {}}})
        await self.attributes.delete_one({"_id": candidate_id})
        await self.answers.delete_many({"candidate_id": candidate_id})

    async def members(self, segment: SegmentFilter) -> list[str]:
        """Candidate ids in the segment: profile attributes, then every survey criterion (AND)."""
        ids: set[str] | None = None
        query = _attribute_query(segment)
        if query or not segment.survey:
            ids = {d["_id"] async for d in self.attributes.find(query, {"_id": 1})}
        for question, accepted in segment.survey.items():
            answer_query = {"question_id": question, **({"answer": {"$in": accepted}} if accepted else {})}
            answered = {d["candidate_id"] async for d in self.answers.find(answer_query, {"candidate_id": 1})}
            ids = answered if ids is None else ids & answered
        return sorted(ids or ())


def _attribute_query(segment: SegmentFilter) -> dict[str, Any]:
    """The database query on the attributes collection for the profile part of a segment."""
    query: dict[str, Any] = {}
    if segment.graduation_years:
        query["graduation_year"] = {"$in": segment.graduation_years}
    if segment.industries:
        query["industries"] = {"$in": segment.industries}
    if segment.schools:
        query["school"] = {"$in": segment.schools}
    if segment.locations:
        query["location"] = {"$in": segment.locations}
    return query
