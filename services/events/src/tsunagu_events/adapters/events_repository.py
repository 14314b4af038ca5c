"""Where events and their versioned seat ledgers are stored: a small protocol and its MongoDB implementation.

FerretDB 1.x applies an update as read-then-write outside a transaction, so two
concurrent conditional updates of one document can both "succeed" and one is lost
(FerretDB issue #3040; probed here: 12 racing `$inc` with `$lt` gave 7 successes and
a counter of 2). Inserts against a unique key are atomic, so every ledger change is an
insert of the next version, `<event id>:<version>`, carrying its events (the outbox).
Of two changes decided on the same version exactly one is stored; the other re-reads.
Only the relay ever updates a version document (to clear its outbox).
"""

from collections.abc import AsyncIterator
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import NOT_DELETED, new_document, outbox_collection

from tsunagu_events.domain.model import Event

EVENTS = "events"
LEDGER = "ledger"

_LEDGER_FIELDS = ("version", "status", "cancelled_at", "seats", "waitlist", "left")


class EventRepository(Protocol):
    async def add(self, event: Event, *events: Envelope) -> None: ...
    async def get(self, event_id: str) -> Event | None: ...
    async def commit(self, event: Event, *events: Envelope) -> bool: ...
    async def prune(self, event_id: str, below_version: int) -> None: ...


class MongoEventRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._events = outbox_collection(db, EVENTS)
        self._ledger = outbox_collection(db, LEDGER)

    async def ensure_indexes(self) -> None:
        await self._events.create_index([("starts_at", 1)])
        await self._ledger.create_index([("event_id", 1), ("version", -1)])

    async def add(self, event: Event, *events: Envelope) -> None:
        """The event's fixed details (version 0 of its ledger is empty and needs no document)."""
        details = event.model_dump(exclude=set(_LEDGER_FIELDS))
        await self._events.insert_one(new_document({"_id": event.event_id, **details}, *events))

    async def get(self, event_id: str) -> Event | None:
        details = await self._events.find_one({"_id": event_id, **NOT_DELETED})
        if details is None:
            return None
        return Event.model_validate({**details, **await self._latest(event_id)})

    async def every_event_id(self) -> AsyncIterator[str]:
        """Every stored event's id, in one pass in no particular order (a rebuild of the events index)."""
        async for document in self._events.find(NOT_DELETED, {"_id": 1}):
            yield document["_id"]

    async def commit(self, event: Event, *events: Envelope) -> bool:
        """Store the next version of the ledger; False when another change took that version first."""
        ledger = event.model_dump(include=set(_LEDGER_FIELDS))
        document = {"_id": f"{event.event_id}:{event.version:09d}", "event_id": event.event_id, **ledger}
        try:
            await self._ledger.insert_one(new_document(document, *events))
        except DuplicateKeyError:
            return False
        return True

    async def prune(self, event_id: str, below_version: int) -> None:
        """Empty superseded versions (they hold who was registered then), whether or not the relay
        has published their events yet: an envelope in `_outbox` is a copy of its own and the
        pruning leaves it alone. Waiting for the relay left a version it had not reached yet
        holding an erased student's id for good.

        The documents stay, so their version numbers stay taken: a change decided on an old
        version can never be stored."""
        await self._ledger.update_many(
            {"event_id": event_id, "version": {"$lt": below_version}, "pruned": {"$ne": True}},
            {"$set": {"pruned": True, "seats": {}, "waitlist": {}, "left": {}}},
        )

    async def _latest(self, event_id: str) -> dict[str, Any]:
        cursor = self._ledger.find({"event_id": event_id}).sort("version", -1).limit(1)
        async for document in cursor:
            return {k: document[k] for k in _LEDGER_FIELDS if k in document}
        return {}
