"""Where threads and their messages are stored: small protocols and their MongoDB implementations.

Message events travel in the message document's outbox (one single-document
write). The candidate's first reply is made exactly-once by a unique
`reply_key`: the first reply of a thread takes `first:<thread id>`, every
other message its own id, so two concurrent "first" replies cannot both
publish ReplyReceived.
"""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.numbered import NumberedList
from tsunagu_shared.outbox import new_document, outbox_collection

from tsunagu_messaging.domain.messages import Message
from tsunagu_messaging.domain.threads import Side, Thread, archived_field, unread_field

THREADS = "threads"
MESSAGES = "messages"
# (company, candidate) → their one thread, by `_id`: FerretDB decodes the whole collection for any
# other filter, and threads grow with every scout of the season
THREAD_PAIRS = "thread_pairs"
THREAD_MESSAGES = "thread_messages"
# every write of a thread counts itself: the threads index keeps only a higher count (a newer write)
VERSION = "version"
WRITTEN = {"$inc": {VERSION: 1}}


class FirstReplyTaken(Exception):
    """Another message already is the candidate's first reply in this thread."""


def _pair(company_id: str, candidate_id: str) -> str:
    """The pair's `_id`, which does not spell out the student's id."""
    return hashlib.sha256(f"{company_id}\x00{candidate_id}".encode()).hexdigest()


def first_reply_key(thread_id: str) -> str:
    return f"first:{thread_id}"


class ThreadRepository(Protocol):
    """What the handlers need of the threads (the service gives them `ProjectedThreads`, which also keeps
    the threads index current and answers the lists from it)."""

    async def get(self, thread_id: str) -> Thread | None: ...
    async def find(self, *, company_id: str, candidate_id: str) -> Thread | None: ...
    async def open(self, thread: Thread) -> Thread: ...
    async def update(self, thread_id: str, fields: dict[str, Any]) -> None: ...
    async def record_message(self, thread_id: str, *, sender: Side, at: datetime) -> None: ...
    async def mark_read(self, thread_id: str, reader: Side) -> None: ...
    async def close_for_candidate(self, candidate_id: str, reason: str) -> None: ...
    async def block(self, *, company_id: str, candidate_id: str) -> None: ...
    async def mark_scout_declined(self, *, company_id: str, candidate_id: str, scout_id: str) -> None: ...
    async def list_page(self, side: Side, party_id: str, *, archived: bool, cursor: str | None, limit: int
                        ) -> tuple[list[Thread], str | None]: ...


class MongoThreadRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._threads = db[THREADS]
        self._pairs = db[THREAD_PAIRS]

    async def ensure_indexes(self) -> None:
        await self._threads.create_index([("company_id", ASCENDING), ("candidate_id", ASCENDING)], unique=True)
        await self._threads.create_index("candidate_id")

    async def get(self, thread_id: str) -> Thread | None:
        document = await self._threads.find_one({"_id": thread_id})
        return Thread.model_validate(document) if document else None

    async def get_versioned(self, thread_id: str) -> tuple[Thread, int] | None:
        """The thread and how many times it was written (what the threads index is versioned by)."""
        document = await self._threads.find_one({"_id": thread_id})
        return (Thread.model_validate(document), document.get(VERSION, 0)) if document else None

    def every_thread(self, *, batch_size: int) -> AsyncIterator[tuple[Thread, int]]:
        """Every thread with its version, in one pass in no particular order (a rebuild)."""
        return self._every(batch_size)

    async def _every(self, batch_size: int) -> AsyncIterator[tuple[Thread, int]]:
        async for document in self._threads.find({}).batch_size(batch_size):
            yield Thread.model_validate(document), document.get(VERSION, 0)

    async def find(self, *, company_id: str, candidate_id: str) -> Thread | None:
        thread_id = await self._thread_of(company_id, candidate_id)
        return await self.get(thread_id) if thread_id else None

    async def open(self, thread: Thread) -> Thread:
        """Insert the thread, or return the one that already exists for (company, candidate).

        The pair's document decides which thread is theirs (an insert on its `_id`); it is written
        first, so a crash before the thread's own insert leaves a pair whose thread is written
        by the next attempt, under the id the pair names."""
        pair = _pair(thread.company_id, thread.candidate_id)
        try:
            await self._pairs.insert_one({"_id": pair, "thread_id": thread.thread_id})
        except DuplicateKeyError:
            thread_id = (await self._pairs.find_one({"_id": pair}))["thread_id"]
            existing = await self.get(thread_id)
            if existing is not None:
                return existing
            thread = thread.model_copy(update={"thread_id": thread_id})
        try:
            await self._threads.insert_one({"_id": thread.thread_id, **thread.model_dump(), VERSION: 1})
        except DuplicateKeyError:
            existing = await self.get(thread.thread_id)
            assert existing is not None
            return existing
        return thread

    async def _thread_of(self, company_id: str, candidate_id: str) -> str | None:
        pair = await self._pairs.find_one({"_id": _pair(company_id, candidate_id)})
        return pair["thread_id"] if pair else None

    async def update(self, thread_id: str, fields: dict[str, Any]) -> None:
        await self._threads.update_one({"_id": thread_id}, {"$set": fields, **WRITTEN})

    async def record_message(self, thread_id: str, *, sender: Side, at: datetime) -> None:
        """The recipient gets one more unread message, and the thread comes back from her archive."""
        recipient: Side = "recruiter" if sender == "candidate" else "candidate"
        fields: dict[str, Any] = {"last_message_at": at, archived_field(recipient): False}
        if sender == "candidate":
            fields["candidate_replied"] = True
        await self._threads.update_one({"_id": thread_id},
                                       {"$set": fields, "$inc": {unread_field(recipient): 1, VERSION: 1}})

    async def mark_read(self, thread_id: str, reader: Side) -> None:
        await self._threads.update_one({"_id": thread_id}, {"$set": {unread_field(reader): 0}, **WRITTEN})

    async def close_for_candidate(self, candidate_id: str, reason: str) -> None:
        await self._threads.update_many(
            {"candidate_id": candidate_id},
            {"$set": {"status": "closed", "closed_reason": reason, "company_name": None, "unread_candidate": 0},
             **WRITTEN},
        )

    async def block(self, *, company_id: str, candidate_id: str) -> None:
        thread_id = await self._thread_of(company_id, candidate_id)
        if thread_id:
            await self._threads.update_one({"_id": thread_id}, {"$set": {"blocked_by_candidate": True}, **WRITTEN})

    async def mark_scout_declined(self, *, company_id: str, candidate_id: str, scout_id: str) -> None:
        thread_id = await self._thread_of(company_id, candidate_id)
        if thread_id:
            await self._threads.update_one({"_id": thread_id, "scout_id": scout_id},
                                           {"$set": {"scout_declined": True}, **WRITTEN})


class MessageRepository(Protocol):
    """What the handlers need of the messages."""

    async def add(self, message: Message, *, candidate_id: str, reply_key: str, event: Envelope) -> None: ...
    async def list(self, thread_id: str, *, limit: int = 500) -> list[Message]: ...
    async def mark_read(self, thread_id: str, *, reader: Side, at: datetime) -> int: ...
    async def erase_candidate(self, candidate_id: str) -> None: ...


class MongoMessageRepository:
    """A thread's messages are found through its list (`tsunagu_shared.numbered`, in
    `thread_messages`), each then by `_id`: what reading a thread costs follows its length,
    not the number of messages of the season. The entry is written before the message, so a
    crash between the two leaves an entry that names nothing (skipped)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._messages = outbox_collection(db, MESSAGES)
        self._lists = db[THREAD_MESSAGES]

    async def ensure_indexes(self) -> None:
        await self._messages.create_index("reply_key", unique=True)
        await self._messages.create_index([("thread_id", ASCENDING), ("sent_at", ASCENDING)])
        await self._messages.create_index("candidate_id")

    async def add(self, message: Message, *, candidate_id: str, reply_key: str, event: Envelope) -> None:
        """Store a message with its event; FirstReplyTaken when reply_key is already used."""
        document = {"_id": message.message_id, **message.model_dump(), "candidate_id": candidate_id,
                    "reply_key": reply_key}
        await NumberedList(self._lists, message.thread_id).append(message.message_id)
        try:
            await self._messages.insert_one(new_document(document, event))
        except DuplicateKeyError as exc:
            raise FirstReplyTaken(message.thread_id) from exc

    async def has_first_reply(self, thread_id: str) -> bool:
        return await self._messages.find_one({"reply_key": first_reply_key(thread_id)}, {"_id": 1}) is not None

    async def list(self, thread_id: str, *, limit: int = 500) -> list[Message]:
        return [Message.model_validate(d) for d in (await self._stored(thread_id))[:limit]]

    async def mark_read(self, thread_id: str, *, reader: Side, at: datetime) -> int:
        """Read receipts: every message the other side sent, not yet read, is read now."""
        writer = "recruiter" if reader == "candidate" else "candidate"
        read = 0
        for document in await self._stored(thread_id):
            if document.get("sender_role") == writer and document.get("read_at") is None:
                result = await self._messages.update_one({"_id": document["_id"], "read_at": None},
                                                         {"$set": {"read_at": at}})
                read += result.modified_count
        return read

    async def _stored(self, thread_id: str) -> "list[dict[str, Any]]":  # (`list` is a method here)
        """The thread's messages, oldest first."""
        ids = await NumberedList(self._lists, thread_id).read()
        found = await asyncio.gather(*(self._messages.find_one({"_id": i}) for i in ids))
        return sorted((d for d in found if d is not None), key=lambda d: d["sent_at"])

    async def erase_candidate(self, candidate_id: str) -> None:
        """Her messages keep their place in the thread but lose their content."""
        await self._messages.update_many(
            {"candidate_id": candidate_id, "sender_role": "candidate"},
            {"$set": {"body": "", "attachment_ids": [], "erased": True}},
        )
