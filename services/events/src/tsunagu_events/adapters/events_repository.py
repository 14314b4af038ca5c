"""Where events and their versioned seat ledgers are stored: a small protocol and its MongoDB implementation.

FerretDB 1.x applies an update as read-then-write outside a transaction, so two
concurrent conditional updates of one document can both "succeed" and one is lost
(FerretDB issue #3040; probed here: 12 racing `$inc` with `$lt` gave 7 successes and
a counter of 2). Inserts against a unique key are atomic, so every ledger change is an
insert of the next version, `<event id>:<version>`, carrying its events (the outbox).
Of two changes decided on the same version exactly one is stored; the other re-reads.
Only the relay ever updates a version document (to clear its outbox), and the pruning empties it.

Versions are addressed by `_id` only (FerretDB decodes the whole collection for any other filter or
sort, and the ledger grows with every registration of the season). Version numbers have no gaps, so
the latest is found by reading upward from a hint, the event's head in `ledger_heads` (the version
last committed, and the first version not yet pruned): a stale head (a crash, a lost race) costs a
read more, never a wrong answer.
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
LEDGER_HEADS = "ledger_heads"

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
        self._heads = db[LEDGER_HEADS]

    async def ensure_indexes(self) -> None:
        await self._events.create_index([("starts_at", 1)])

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
        document = {"_id": _version_id(event.event_id, event.version), "event_id": event.event_id, **ledger}
        try:
            await self._ledger.insert_one(new_document(document, *events))
        except DuplicateKeyError:
            return False
        await self._heads.update_one({"_id": event.event_id}, {"$max": {"version": event.version}}, upsert=True)
        return True

    async def prune(self, event_id: str, below_version: int) -> None:
        """Empty superseded versions (they hold who was registered then), whether or not the relay
        has published their events yet: an envelope in `_outbox` is a copy of its own and the
        pruning leaves it alone. Waiting for the relay left a version it had not reached yet
        holding an erased student's id for good.

        The documents stay, so their version numbers stay taken: a change decided on an old
        version can never be stored.

        Each version from the head's `pruned_below` on is emptied by `_id`; the head moves only
        after, so a crash empties them again (harmless)."""
        head = await self._heads.find_one({"_id": event_id}) or {}
        for version in range(max(1, head.get("pruned_below", 1)), below_version):
            await self._ledger.update_one(
                {"_id": _version_id(event_id, version), "pruned": {"$ne": True}},
                {"$set": {"pruned": True, "seats": {}, "waitlist": {}, "left": {}}},
            )
        if below_version > head.get("pruned_below", 1):
            await self._heads.update_one({"_id": event_id}, {"$max": {"pruned_below": below_version}}, upsert=True)

    async def _latest(self, event_id: str) -> dict[str, Any]:
        head = await self._heads.find_one({"_id": event_id}) or {}
        version, latest = head.get("version", 0), None
        if version:
            latest = await self._ledger.find_one({"_id": _version_id(event_id, version)})
        while (following := await self._ledger.find_one({"_id": _version_id(event_id, version + 1)})) is not None:
            version, latest = version + 1, following
        return {k: latest[k] for k in _LEDGER_FIELDS if k in latest} if latest else {}


def _version_id(event_id: str, version: int) -> str:
    return f"{event_id}:{version:09d}"
