"""The transactional outbox without multi-document transactions (DESIGN §5).

An event is stored inside the very document whose change it describes, in the
same single-document write: `_outbox.<event id>` holds the envelope and
`_pending` lists the ids not yet published. The relay publishes pending
envelopes and removes each only after the broker acknowledged it. A crash between the write and the
publish loses nothing (the envelope is in the document); a crash between the
publish and the removal republishes the same event id, which consumers skip.

A deletion replaces the document by a tombstone that keeps only the deletion's
events; the relay removes the tombstone once it is flushed. Events of the
document not yet published when it is deleted are dropped with its data: the
deletion event that follows supersedes them for every subscriber.
"""

import asyncio
from typing import Any

import structlog
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.kafka.producer import EventPublisher

log = structlog.get_logger(__name__)

OUTBOX = "_outbox"
PENDING = "_pending"
TOMBSTONE = "_tombstone"


# Documents with events still to publish, and documents with none (the ids are a list,
# not a count, so that removing a published id is idempotent and needs no condition:
# a condition would make FerretDB scan the collection, and a count goes wrong when two
# relays acknowledge the same event or a tombstone replaced the document meanwhile).
# (ids are strings, so `$gt: ""` matches a non-empty list, and MongoDB answers it from the
# multikey index on `_pending`.)
HAS_PENDING = {PENDING: {"$gt": ""}}
FLUSHED = {"$nor": [HAS_PENDING]}  # the same fact, negated: nothing left to publish


def new_document(document: dict[str, Any], *envelopes: Envelope) -> dict[str, Any]:
    """A document to insert, carrying the events of its creation."""
    return {
        **document,
        OUTBOX: {e.id: e.to_document() for e in envelopes},
        PENDING: [e.id for e in envelopes],
    }


def with_events(update: dict[str, Any], *envelopes: Envelope) -> dict[str, Any]:
    """Add events to an update document (`$set`/`$inc`/...), atomically with it."""
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$set", {}).update({f"{OUTBOX}.{e.id}": e.to_document() for e in envelopes})
    if envelopes:
        merged.setdefault("$push", {})[PENDING] = {"$each": [e.id for e in envelopes]}
    return merged


def tombstone(document_id: Any, *envelopes: Envelope) -> dict[str, Any]:
    """The replacement for a deleted document: nothing but its last events."""
    return {"_id": document_id, TOMBSTONE: True, **new_document({}, *envelopes)}


NOT_DELETED = {TOMBSTONE: {"$ne": True}}
ACK_COMMAND_SIZE = 50


class OutboxRelay:
    """Publishes the outboxes of the given collections, oldest first.

    Writers in this process wake it at once. Without a wake it looks again after
    `poll_seconds`, and after each look that found nothing it waits twice as long, up to
    `max_idle_seconds`: the look scans every outbox collection on FerretDB, and events are
    rarely left behind by anyone but a crashed process (found at start-up)."""

    def __init__(
        self, *, db: AsyncDatabase, collections: list[str], publisher: EventPublisher, poll_seconds: float = 0.5,
        max_idle_seconds: float = 5.0,
    ) -> None:
        self._collections: list[AsyncCollection] = [db[name] for name in collections]
        self._publisher = publisher
        self._poll = poll_seconds
        self._max_idle = max(max_idle_seconds, poll_seconds)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Called after a write that carries events, so they go out without waiting for the poll."""
        self._wake.set()

    async def ensure_indexes(self) -> None:
        for collection in self._collections:
            await collection.create_index(PENDING)

    async def run(self) -> None:
        idle = self._poll
        while not self._stopping.is_set():
            try:
                published = await self.flush()
            except Exception as exc:
                log.exception("outbox_flush_failed")
                published = 0
                await self._recover(exc)
            if published:
                idle = self._poll
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=idle)
                idle = self._poll
            except TimeoutError:
                idle = min(idle * 2, self._max_idle)
            self._wake.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _recover(self, error: Exception) -> None:
        try:
            await self._publisher.recover(error)
        except Exception:
            log.exception("outbox_producer_recovery_failed")  # tried again after the next failure

    async def flush(self, batch_size: int = 500) -> int:
        """Publish every pending event once; return how many went out.

        Documents are taken in batches: all their events are sent without waiting
        one by one (the idempotent producer keeps each key's order), then the
        published entries are removed with one bulk write per batch."""
        count = 0
        for collection in self._collections:
            for _ in range(100):  # bounded: a document that keeps failing is retried on the next poll
                # read a batch and close the cursor before writing: an open cursor holds a
                # database connection for as long as it lives
                batch = await collection.find(HAS_PENDING, {OUTBOX: 1, PENDING: 1, TOMBSTONE: 1}).limit(
                    batch_size).to_list()
                if not batch:
                    break
                count += await self._flush_batch(collection, batch)
                if len(batch) < batch_size:
                    break
        return count

    async def _flush_batch(self, collection: AsyncCollection, docs: list[dict[str, Any]]) -> int:
        entries_by_doc = [
            (doc, sorted((doc.get(OUTBOX) or {}).values(), key=lambda e: (e["time"], e["id"]))) for doc in docs
        ]
        deliveries = [
            await self._publisher.send(Envelope.model_validate(entry))
            for _, entries in entries_by_doc
            for entry in entries
        ]
        await asyncio.gather(*deliveries)
        # Acknowledge by _id alone (FerretDB looks that up by index; any other filter scans):
        # removing ids is idempotent, and a tombstone that replaced the document meanwhile
        # keeps its own, different ids.
        acknowledgements = [
            UpdateOne({"_id": doc["_id"]}, _acknowledgement(doc, entries)) for doc, entries in entries_by_doc
        ]
        # in small commands: each holds the database's single write turn while it runs, and a
        # long one makes every other writer of the service (an import, an API call) wait behind it
        for start in range(0, len(acknowledgements), ACK_COMMAND_SIZE):
            await collection.bulk_write(acknowledgements[start:start + ACK_COMMAND_SIZE], ordered=False)
        tombstones = [doc["_id"] for doc in docs if doc.get(TOMBSTONE)]
        if tombstones:
            await collection.delete_many({"_id": {"$in": tombstones}, TOMBSTONE: True, **FLUSHED})
        return len(deliveries)


def _acknowledgement(doc: dict[str, Any], published: list[dict[str, Any]]) -> dict[str, Any]:
    """Remove the published envelopes and their ids (absent ones are left alone)."""
    update: dict[str, Any] = {"$pullAll": {PENDING: list(doc.get(PENDING) or [])}}
    if published:
        update["$unset"] = {f"{OUTBOX}.{entry['id']}": "" for entry in published}
    return update
