"""What an outbox looks like inside a document, and inside its marker."""

from datetime import datetime
from typing import Any
from uuid import uuid4

from tsunagu_shared.envelope import Envelope

OUTBOX = "_outbox"
PENDING = "_pending"
TOMBSTONE = "_tombstone"
# The markers of one database: `c` the collection, `d` the ids of the marked documents, `events`
# {event id: when marked}, `v` a fresh token per marking, `at` when first marked (the relay's
# order). A write to one document marks it under `_id` "<collection>|<document id>" (later writes
# to it add to the same marker); an insert of many documents marks them all under one `_id` of its
# own. An insert whose events travel beside its documents (`OutboxCollection.insert_carried`) has
# its own kind of marker: `docs` (packed: `d` and `of` {event id: index of its document in `d`}),
# `confirmed` (false until the insert happened) and `refused` (event ids of documents the insert
# was refused); its envelopes are in `outbox_carried` under the marker's `_id`, packed (one
# document read once, kept out of the markers that every look of the relay reads).
PENDING_INDEX = "outbox_pending"
CARRIED_INDEX = "outbox_carried"
CARRIED = "outbox"
# Set on each document of such an insert: its marker's `_id`.
CARRIED_BY = "_outbox_marker"


# Documents with events still to publish, and documents with none (the ids are a list,
# not a count, so that removing a published id is idempotent and needs no condition:
# a count goes wrong when two relays acknowledge the same event or a tombstone replaced
# the document meanwhile). Ids are strings, so `$gt: ""` matches a non-empty list.
HAS_PENDING = {PENDING: {"$gt": ""}}
FLUSHED = {"$nor": [HAS_PENDING]}  # the same fact, negated: nothing left to publish
NOT_DELETED = {TOMBSTONE: {"$ne": True}}


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


def events_of_document(document: dict[str, Any]) -> list[str]:
    """The ids of the events a document to insert (or a replacement) carries."""
    return list(document.get(PENDING) or [])


def events_of_update(update: dict[str, Any]) -> list[str]:
    """The ids of the events an update document carries (`with_events`)."""
    pushed = (update.get("$push") or {}).get(PENDING)
    if pushed is None:
        return []
    return list(pushed["$each"]) if isinstance(pushed, dict) else [pushed]


def marker_id(collection: str, document_id: Any) -> str:
    """The key of a document's own marker: ids are strings here; any other type is spelled by its repr."""
    return f"{collection}|{document_id if isinstance(document_id, str) else repr(document_id)}"


def batch_marker(collection: str, document_ids: list[Any], events: list[str], now: datetime) -> dict[str, Any]:
    """One marker for the documents of one insert (they are new: no other write marks them yet)."""
    return {"_id": f"{collection}|+{uuid4().hex}", "c": collection, "d": document_ids, "v": uuid4().hex,
            "events": {e: now for e in events}, "at": now}


def marking(collection: str, document_id: Any, events: list[str], now: datetime) -> dict[str, Any]:
    """The upsert of a document's own marker that adds events to it, with a new token."""
    return {"$set": {"c": collection, "d": [document_id], "v": uuid4().hex, **{f"events.{e}": now for e in events}},
            "$setOnInsert": {"at": now}}
