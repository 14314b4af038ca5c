"""Interviews, offers, contact questions and attachment metadata in MongoDB.

State changes that publish events carry them in the same single-document
write (outbox); transitions are conditional updates, so two concurrent
answers cannot both win. One open offer per thread is a unique index on
`open_key` (`open:<thread id>` while open, the offer's own id after).
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.numbered import NumberedList
from tsunagu_shared.outbox import new_document, outbox_collection, with_events

from tsunagu_messaging.domain.interviews import Interview
from tsunagu_messaging.domain.offers import Offer

INTERVIEWS = "interviews"
OFFERS = "offers"
QUESTIONS = "contact_questions"
ATTACHMENTS = "attachments"
# a thread's interviews and offers, as lists read by `_id` (tsunagu_shared.numbered): FerretDB
# decodes the whole collection for a filter on the thread's id
THREAD_RECORDS = "thread_records"


class OpenOfferExists(Exception):
    pass


def _open_key(thread_id: str) -> str:
    return f"open:{thread_id}"


async def _of_thread(collection, ids: list[str], order: str) -> list[dict[str, Any]]:
    """The documents a thread's list names (each by `_id`), in `order`."""
    found = await asyncio.gather(*(collection.find_one({"_id": i}) for i in dict.fromkeys(ids)))
    return sorted((d for d in found if d is not None), key=lambda d: d[order])


class InterviewRepository(Protocol):
    """What the handlers need of the interviews."""

    async def add(self, interview: Interview, *events: Envelope) -> None: ...
    async def get(self, interview_id: str) -> Interview | None: ...
    async def list_for_thread(self, thread_id: str) -> list[Interview]: ...
    async def transition(self, interview: Interview, fields: dict[str, Any], *events: Envelope) -> bool: ...
    async def cancel_for_candidate(self, candidate_id: str, at: datetime) -> None: ...


class MongoInterviewRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._interviews = outbox_collection(db, INTERVIEWS)
        self._lists = db[THREAD_RECORDS]

    def _of(self, thread_id: str) -> NumberedList:
        return NumberedList(self._lists, f"interviews:{thread_id}")

    async def ensure_indexes(self) -> None:
        await self._interviews.create_index("thread_id")

    async def add(self, interview: Interview, *events: Envelope) -> None:
        # first: a crash leaves an entry naming nothing
        await self._of(interview.thread_id).append(interview.interview_id)
        await self._interviews.insert_one(new_document({"_id": interview.interview_id, **interview.model_dump()},
                                                       *events))

    async def get(self, interview_id: str) -> Interview | None:
        document = await self._interviews.find_one({"_id": interview_id})
        return Interview.model_validate(document) if document else None

    async def list_for_thread(self, thread_id: str) -> list[Interview]:
        found = await _of_thread(self._interviews, await self._of(thread_id).read(), "updated_at")
        return [Interview.model_validate(d) for d in found[:200]]

    async def transition(self, interview: Interview, fields: dict[str, Any], *events: Envelope) -> bool:
        """Apply the change only if nobody changed the interview since it was read."""
        update = with_events({"$set": fields}, *events) if events else {"$set": fields}
        result = await self._interviews.update_one(
            {"_id": interview.interview_id, "status": interview.status, "updated_at": interview.updated_at}, update
        )
        return result.modified_count == 1

    async def cancel_for_candidate(self, candidate_id: str, at: datetime) -> None:
        await self._interviews.update_many(
            {"candidate_id": candidate_id, "status": {"$in": ["proposed", "alternatives_requested", "scheduled"]}},
            {"$set": {"status": "cancelled", "note": None, "respond_by": None, "updated_at": at}},
        )


class OfferRepository(Protocol):
    """What the handlers need of the offers."""

    async def add(self, offer: Offer, *events: Envelope) -> None: ...
    async def close_lapsed(self, thread_id: str, now: datetime) -> None: ...
    async def mark_lapsed(self, offer: Offer, now: datetime, *events: Envelope) -> bool: ...
    async def get(self, offer_id: str) -> Offer | None: ...
    async def list_for_thread(self, thread_id: str) -> list[Offer]: ...
    async def respond(self, offer: Offer, fields: dict[str, Any], now: datetime, *events: Envelope) -> bool: ...
    async def close_for_candidate(self, candidate_id: str) -> None: ...


class MongoOfferRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._offers = outbox_collection(db, OFFERS)
        self._lists = db[THREAD_RECORDS]

    def _of(self, thread_id: str) -> NumberedList:
        return NumberedList(self._lists, f"offers:{thread_id}")

    async def ensure_indexes(self) -> None:
        await self._offers.create_index("open_key", unique=True)
        await self._offers.create_index("thread_id")

    async def add(self, offer: Offer, *events: Envelope) -> None:
        """Store a new open offer; OpenOfferExists when the thread already has one."""
        document = {"_id": offer.offer_id, **offer.model_dump(), "open_key": _open_key(offer.thread_id)}
        await self._of(offer.thread_id).append(offer.offer_id)  # first: a crash leaves an entry naming nothing
        try:
            await self._offers.insert_one(new_document(document, *events))
        except DuplicateKeyError as exc:
            raise OpenOfferExists(offer.thread_id) from exc

    async def close_lapsed(self, thread_id: str, now: datetime) -> None:
        """An open offer past its deadline no longer holds the thread's one open slot."""
        for document in await _of_thread(self._offers, await self._of(thread_id).read(), "issued_at"):
            if document.get("open_key") != _open_key(thread_id) or document["respond_by"] > now:
                continue
            await self._offers.update_one({"_id": document["_id"], "open_key": _open_key(thread_id)},
                                          {"$set": {"open_key": document["_id"]}})

    async def mark_lapsed(self, offer: Offer, now: datetime, *events: Envelope) -> bool:
        """Record the lapse once (with its event), and free the thread's open-offer slot."""
        result = await self._offers.update_one(
            {"_id": offer.offer_id, "status": "open", "respond_by": {"$lte": now}, "lapsed_at": None},
            with_events({"$set": {"lapsed_at": now, "open_key": offer.offer_id}}, *events),
        )
        return result.modified_count == 1

    async def get(self, offer_id: str) -> Offer | None:
        document = await self._offers.find_one({"_id": offer_id})
        return Offer.model_validate(document) if document else None

    async def every_offer(self) -> AsyncIterator[Offer]:
        """Every offer in one pass, in no particular order (the due-bucket backfill)."""
        async for document in self._offers.find({}).batch_size(1000):
            yield Offer.model_validate(document)

    async def list_for_thread(self, thread_id: str) -> list[Offer]:
        found = await _of_thread(self._offers, await self._of(thread_id).read(), "issued_at")
        return [Offer.model_validate(d) for d in found[:200]]

    async def respond(self, offer: Offer, fields: dict[str, Any], now: datetime, *events: Envelope) -> bool:
        """Accept or decline: only while still open and before the deadline (checked in the write)."""
        result = await self._offers.update_one(
            {"_id": offer.offer_id, "status": "open", "respond_by": {"$gt": now}},
            with_events({"$set": {**fields, "open_key": offer.offer_id}}, *events),
        )
        return result.modified_count == 1

    async def close_for_candidate(self, candidate_id: str) -> None:
        async for document in self._offers.find({"candidate_id": candidate_id, "status": "open"}, {"_id": 1}):
            await self._offers.update_one({"_id": document["_id"]},
                                          {"$set": {"status": "declined", "decline_reason": "profile deleted",
                                                    "open_key": document["_id"]}})


class QuestionRepository(Protocol):
    """What the handlers need of the contact questions."""

    async def add(self, question: dict[str, Any], *events: Envelope) -> None: ...
    async def get(self, question_id: str) -> dict[str, Any] | None: ...
    async def list_for_thread(self, thread_id: str) -> list[dict[str, Any]]: ...
    async def answer(self, question_id: str, channel: str, at: datetime) -> bool: ...


class MongoQuestionRepository:
    """Contact-preference questions: asked by a recruiter, answered once by the student."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._questions = outbox_collection(db, QUESTIONS)

    async def add(self, question: dict[str, Any], *events: Envelope) -> None:
        await self._questions.insert_one(new_document({"_id": question["question_id"], **question}, *events))

    async def get(self, question_id: str) -> dict[str, Any] | None:
        return await self._questions.find_one({"_id": question_id}, {"_outbox": 0, "_pending": 0})

    async def list_for_thread(self, thread_id: str) -> list[dict[str, Any]]:
        cursor = self._questions.find({"thread_id": thread_id}, {"_outbox": 0, "_pending": 0}).limit(200)
        return [d async for d in cursor]

    async def answer(self, question_id: str, channel: str, at: datetime) -> bool:
        result = await self._questions.update_one(
            {"_id": question_id, "answered_channel": None},
            {"$set": {"answered_channel": channel, "answered_at": at}},
        )
        return result.modified_count == 1


class AttachmentRepository(Protocol):
    """What the handlers need of the attachments' metadata."""

    async def add(self, metadata: dict[str, Any]) -> None: ...
    async def get(self, attachment_id: str) -> dict[str, Any] | None: ...
    async def claim(self, attachment_ids: list[str], *, thread_id: str, uploader_id: str, message_id: str) -> bool: ...
    async def keys_for_candidate(self, candidate_id: str) -> list[str]: ...
    async def forget(self, keys: list[str]) -> None: ...


class MongoAttachmentRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._attachments = db[ATTACHMENTS]

    async def add(self, metadata: dict[str, Any]) -> None:
        await self._attachments.insert_one({"_id": metadata["attachment_id"], **metadata})

    async def get(self, attachment_id: str) -> dict[str, Any] | None:
        return await self._attachments.find_one({"_id": attachment_id})

    async def claim(self, attachment_ids: list[str], *, thread_id: str, uploader_id: str, message_id: str) -> bool:
        """Attach uploads to a message: they must be the sender's, in this thread, not yet used."""
        claimed: list[str] = []
        for attachment_id in attachment_ids:
            result = await self._attachments.update_one(
                {"_id": attachment_id, "thread_id": thread_id, "uploader_id": uploader_id, "message_id": None},
                {"$set": {"message_id": message_id}},
            )
            if result.modified_count != 1:
                await self._attachments.update_many({"_id": {"$in": claimed}, "message_id": message_id},
                                                    {"$set": {"message_id": None}})
                return False
            claimed.append(attachment_id)
        return True

    async def keys_for_candidate(self, candidate_id: str) -> list[str]:
        """The storage keys of every attachment she uploaded."""
        query = {"uploader_id": candidate_id, "uploader_role": "candidate"}
        return [d["_id"] async for d in self._attachments.find(query, {"_id": 1})]

    async def forget(self, keys: list[str]) -> None:
        await self._attachments.delete_many({"_id": {"$in": keys}})
