"""Writes that carry events: the document's marker first, then the document."""

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from bson import ObjectId
from pymongo import InsertOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, WriteError

from tsunagu_shared.db import packed
from tsunagu_shared.outbox import wakeup
from tsunagu_shared.outbox.documents import (
    CARRIED,
    CARRIED_BY,
    CARRIED_INDEX,
    OUTBOX,
    PENDING,
    PENDING_INDEX,
    batch_marker,
    events_of_document,
    events_of_update,
    marker_id,
    marking,
)

Marked = tuple[Any, list[str]]  # a document id and the ids of the events its write carries


class OutboxCollection:
    """A collection whose writes may carry events (`new_document`, `with_events`, `tombstone`).

    A write that carries events first marks its document in `outbox_pending`, then
    writes it; if the write did not happen (duplicate key, no document matched) its
    event ids are taken off the marker again. A write with events names its document:
    an `_id` in the inserted document, or an `_id` equality in the filter. After a write that
    carries events it wakes the relays of its database. Every other method (reads, deletes,
    indexes) is the collection's own."""

    def __init__(self, collection: AsyncCollection) -> None:
        self._collection = collection
        self._markers = collection.database[PENDING_INDEX]
        self._carried = collection.database[CARRIED_INDEX]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    async def insert_one(self, document: dict[str, Any], **kwargs: Any):
        marked = [_named(document)]
        result, _ = await self._written(marked, lambda: self._collection.insert_one(document, **kwargs))
        return result

    async def insert_many(self, documents: Iterable[dict[str, Any]], **kwargs: Any):
        documents = list(documents)
        marked = [_named(d) for d in documents]
        result, _ = await self._written(marked, lambda: self._collection.insert_many(documents, **kwargs),
                                        ordered=kwargs.get("ordered", True))
        return result

    async def insert_carried(self, documents: Iterable[dict[str, Any]], **kwargs: Any):
        """Insert new documents (`new_document`) whose events travel beside them, all in one
        document of `outbox_carried`, instead of in each document: the relay publishes them
        from there, without reading or acknowledging the documents one by one. For large
        inserts of documents written once (an import's rows). Each document keeps its insert's
        marker id (`_outbox_marker`), by which the relay tells, if the writer died before
        confirming the insert, which documents this insert wrote (a replayed insert refused
        for a duplicate key did not)."""
        documents = list(documents)
        now = datetime.now(UTC)
        envelopes: dict[str, Any] = {}
        for document in documents:
            envelopes.update(document.pop(OUTBOX, None) or {})
        marked = [(d.setdefault("_id", ObjectId()), list(d.pop(PENDING, None) or [])) for d in documents]
        name = self._collection.name
        # (the document ids and event ids packed: the relay reads every marker at every look)
        of = {e: n for n, (_, events) in enumerate(marked) for e in events}
        carrier: dict[str, Any] = {"_id": f"{name}|+{uuid4().hex}", "c": name, "v": uuid4().hex, "at": now,
                                   "confirmed": False, "docs": packed({"d": [d for d, _ in marked], "of": of})}
        for document in documents:
            document[CARRIED_BY] = carrier["_id"]
        # marker, envelopes, documents, confirmation: a crash at any point before the confirmation
        # leaves a marker by which the relay finds what this insert wrote (or that it wrote nothing)
        await self._markers.insert_one(carrier)
        await self._carried.insert_one({"_id": carrier["_id"], CARRIED: packed(envelopes)})
        try:
            result = await self._collection.insert_many(documents, **kwargs)
        except BulkWriteError as exc:
            refused = sorted(e["index"] for e in exc.details.get("writeErrors", []))
            if kwargs.get("ordered", True) and refused:
                refused = list(range(refused[0], len(marked)))
            await self._confirm(carrier["_id"], [e for i in refused for e in marked[i][1]])
            wakeup.wake(self._collection.database)
            raise
        await self._confirm(carrier["_id"], [])
        wakeup.wake(self._collection.database)
        return result

    async def _confirm(self, key: str, refused_events: list[str]) -> None:
        """The insert happened (but for the refused documents, whose events are dropped)."""
        await self._markers.update_one({"_id": key}, {"$set": {"confirmed": True, "refused": refused_events}})

    async def bulk_write(self, requests: list[Any], **kwargs: Any):
        """Inserts (`InsertOne`) may carry events here; other requests may not."""
        marked = []
        for request in requests:
            if isinstance(request, InsertOne):
                marked.append(_named(request._doc))  # pymongo has no public accessor for it
            elif _carries_events(getattr(request, "_doc", None) or {}):
                raise ValueError("only inserts may carry events in a bulk write")
            else:
                marked.append((None, []))
        result, _ = await self._written(marked, lambda: self._collection.bulk_write(requests, **kwargs),
                                        ordered=kwargs.get("ordered", True))
        return result

    async def update_many(self, filter: dict[str, Any], update: dict[str, Any], **kwargs: Any):
        """Updates that carry no events only (events name one document each)."""
        if _carries_events(update):
            raise ValueError("an update of many documents cannot carry events; write each document")
        return await self._collection.update_many(filter, update, **kwargs)

    async def update_one(self, filter: dict[str, Any], update: dict[str, Any], **kwargs: Any):
        marked = [(_document_id(filter, update), events_of_update(update))]
        result, key = await self._written(marked, lambda: self._collection.update_one(filter, update, **kwargs))
        if not (result.matched_count or result.upserted_id is not None):
            await self._unmark(key, marked)
        return result

    async def replace_one(self, filter: dict[str, Any], replacement: dict[str, Any], **kwargs: Any):
        marked = [(_document_id(filter, replacement), events_of_document(replacement))]
        result, key = await self._written(marked,
                                          lambda: self._collection.replace_one(filter, replacement, **kwargs))
        if not (result.matched_count or result.upserted_id is not None):
            await self._unmark(key, marked)
        return result

    async def find_one_and_update(self, filter: dict[str, Any], update: dict[str, Any], **kwargs: Any):
        marked = [(_document_id(filter, update), events_of_update(update))]
        result, key = await self._written(marked,
                                          lambda: self._collection.find_one_and_update(filter, update, **kwargs))
        if result is None and not kwargs.get("upsert"):  # nothing matched, nothing written
            await self._unmark(key, marked)
        return result

    async def _written(self, marked: list[Marked], write: Callable[[], Awaitable[Any]], *, ordered: bool = True
                       ) -> tuple[Any, str | None]:
        """Mark, then write; writes the database refused (a duplicate key, a failed validation)
        take their ids off the marker again. (An error that leaves unknown whether the write
        happened, such as a lost connection, leaves the marker: the relay settles it.)"""
        key = await self._mark(marked)
        try:
            result = await write()
        except BulkWriteError as exc:
            refused = sorted(e["index"] for e in exc.details.get("writeErrors", []))
            # an ordered bulk write stops at its first refused write: the rest never happened either
            await self._unmark(key, marked[refused[0]:] if ordered and refused else [marked[i] for i in refused])
            if key is not None:  # the writes before (ordered) or beside (unordered) the refused ones happened
                wakeup.wake(self._collection.database)
            raise
        except WriteError:
            await self._unmark(key, marked)
            raise
        if key is not None:
            wakeup.wake(self._collection.database)
        return result, key

    async def _mark(self, marked: list[Marked]) -> str | None:
        """One marker for the documents that get events, in one command; its `_id`."""
        marked = [(d, events) for d, events in marked if events]
        if not marked:
            return None
        now = datetime.now(UTC)
        name = self._collection.name
        if len(marked) == 1:
            (document_id, events), = marked
            key = marker_id(name, document_id)
            await self._markers.update_one({"_id": key}, marking(name, document_id, events, now), upsert=True)
            return key
        document = batch_marker(name, [d for d, _ in marked], [e for _, events in marked for e in events], now)
        await self._markers.insert_one(document)
        return document["_id"]

    async def _unmark(self, key: str | None, marked: list[Marked]) -> None:
        """After writes that did not happen: their ids will never appear in their documents.
        (Should this fail too, the relay drops them after its grace.)"""
        events = [e for _, ids in marked for e in ids]
        if key is None or not events:
            return
        await self._markers.update_one({"_id": key}, {"$unset": {f"events.{e}": "" for e in events}})


def _named(document: dict[str, Any]) -> Marked:
    """A document to insert, given the `_id` pymongo would give it, so its marker can name it."""
    events = events_of_document(document)
    if events:
        document.setdefault("_id", ObjectId())
    return document.get("_id"), events


def _carries_events(update_or_document: dict[str, Any]) -> bool:
    return bool(events_of_update(update_or_document) or events_of_document(update_or_document))


def _document_id(filter: dict[str, Any], update: dict[str, Any]) -> Any:
    if not _carries_events(update):
        return None
    document_id = filter.get("_id")
    if document_id is None or isinstance(document_id, dict):
        raise ValueError("a write that carries events names its document by an _id equality")
    return document_id


def outbox_collection(db: AsyncDatabase, name: str) -> OutboxCollection:
    """`db[name]`, for a collection whose documents carry events."""
    return OutboxCollection(db[name])
