"""The relay: publishes the events of marked documents, oldest first, then forgets them."""

import asyncio
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from tsunagu_shared.db import unpacked
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.kafka.producer import EventPublisher
from tsunagu_shared.outbox.documents import (
    CARRIED,
    CARRIED_BY,
    CARRIED_INDEX,
    FLUSHED,
    HAS_PENDING,
    OUTBOX,
    PENDING,
    PENDING_INDEX,
    TOMBSTONE,
    batch_marker,
)
from tsunagu_shared.outbox.wakeup import forget, listen

log = structlog.get_logger(__name__)

WRITE_COMMAND_SIZE = 50
MARKED_AT_ONCE = 1000  # documents per marker written by the look at start
# Ids this relay acknowledged, remembered so that a marker it could not delete (the document
# was marked again meanwhile) is settled on the next look without waiting for the grace.
REMEMBERED_ACKNOWLEDGEMENTS = 100_000


class OutboxRelay:
    """Publishes the outboxes of the documents marked in `outbox_pending`.

    Writes of this process that carry events wake it at once (`OutboxCollection` does, see
    `wakeup`). Without a wake it looks again after
    `poll_seconds`, and after each look that found nothing it waits twice as long, up to
    `max_idle_seconds` (events are rarely left behind by anyone but a crashed process).
    A look reads the markers (one small collection) and the marked documents by `_id`;
    the outbox collections themselves are searched only once, when the relay starts."""

    def __init__(
        self, *, db: AsyncDatabase, collections: list[str], publisher: EventPublisher, poll_seconds: float = 0.5,
        max_idle_seconds: float = 5.0, stale_marker_seconds: float = 300.0, look_limit: int = 5000,
    ) -> None:
        self._db = db
        self._collections: list[AsyncCollection] = [db[name] for name in collections]
        self._markers = db[PENDING_INDEX]
        self._carried = db[CARRIED_INDEX]
        self._publisher = publisher
        self._poll = poll_seconds
        self._max_idle = max(max_idle_seconds, poll_seconds)
        self._stale = timedelta(seconds=stale_marker_seconds)
        self._look_limit = look_limit
        self._acknowledged: OrderedDict[str, None] = OrderedDict()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        listen(db, self)

    def wake(self) -> None:
        """Called (by `OutboxCollection`) after a write that carries events, so they go out without
        waiting for the poll."""
        self._wake.set()

    async def run(self) -> None:
        await self._mark_unmarked_until_done()
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
        forget(self._db, self)
        self._stopping.set()
        self._wake.set()

    async def _recover(self, error: Exception) -> None:
        try:
            await self._publisher.recover(error)
        except Exception:
            log.exception("outbox_producer_recovery_failed")  # tried again after the next failure

    async def _mark_unmarked_until_done(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self.mark_unmarked()
                return
            except Exception as exc:
                log.warning("outbox_start_look_failed", error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_idle)

    async def mark_unmarked(self) -> int:
        """Mark every document with pending events that no marker names (one search of each
        collection, done at start); return how many were marked."""
        count = 0
        now = datetime.now(UTC)
        for collection in self._collections:
            documents = await collection.find(HAS_PENDING, {PENDING: 1}).to_list()
            if not documents:
                continue
            markers = await self._markers.find({"c": collection.name}, {"d": 1}).to_list()
            named = {d for m in markers for d in m.get("d", [])}  # (an insert's documents carry no _pending)
            missing = [d for d in documents if d["_id"] not in named]
            for start in range(0, len(missing), MARKED_AT_ONCE):
                part = missing[start:start + MARKED_AT_ONCE]
                await self._markers.insert_one(batch_marker(
                    collection.name, [d["_id"] for d in part], [e for d in part for e in d[PENDING]], now))
            count += len(missing)
        if count:
            log.warning("outbox_unmarked_events_found", documents=count)
        return count

    async def flush(self, batch_size: int = 500) -> int:
        """Publish every pending event of the marked documents once; return how many went out.

        Markers are taken oldest first, in batches of about `batch_size` documents: all their
        events are sent without waiting one by one (the idempotent producer keeps each key's
        order), then the published entries are removed from the documents with bulk writes by
        `_id`, then the settled markers are deleted."""
        # read the markers and close the cursor before writing: an open cursor holds a
        # database connection for as long as it lives
        markers = await self._markers.find({}).sort("at", 1).limit(self._look_limit).to_list()
        for m in markers:
            if "docs" in m:  # an insert whose events travel beside its documents
                m.update(unpacked(m.pop("docs")))
        count, batch, size = 0, [], 0
        for m in self._ready(markers):
            batch.append(m)
            size += len(m["d"])
            if size >= batch_size:
                count += await self._flush_batch(batch)
                batch, size = [], 0
        if batch:
            count += await self._flush_batch(batch)
        return count

    def _ready(self, markers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The markers to work on now: not an insert still under way (its events travel beside
        its documents, and the writer has not confirmed it yet; given up after the grace), nor
        a later marker of one of its documents (each document's events go out in the order they
        were written)."""
        old = datetime.now(UTC) - self._stale
        ready: list[dict[str, Any]] = []
        waiting: set[tuple[str, Any]] = set()
        for m in markers:
            documents = {(m["c"], d) for d in m["d"]}
            if ("confirmed" in m and not m["confirmed"] and _utc(m["at"]) >= old) or documents & waiting:
                waiting |= documents
            else:
                ready.append(m)
        return ready

    async def _flush_batch(self, markers: list[dict[str, Any]]) -> int:
        # a document named by two markers (its own, and an insert's) is read and published once
        targets = list(dict.fromkeys((m["c"], d) for m in markers if not m.get("confirmed") for d in m["d"]))
        projection = {OUTBOX: 1, PENDING: 1, TOMBSTONE: 1, CARRIED_BY: 1}
        found = await asyncio.gather(*(self._db[c].find_one({"_id": d}, projection) for c, d in targets))
        docs = dict(zip(targets, found, strict=True))
        carriers = [m for m in markers if "confirmed" in m]
        envelopes = await asyncio.gather(*(self._carried.find_one({"_id": m["_id"]}) for m in carriers))
        for m, carrier in zip(carriers, envelopes, strict=True):
            m[CARRIED] = unpacked(carrier[CARRIED]) if carrier else {}
        carried: list[dict[str, Any]] = []  # envelopes that travel beside their documents
        pending: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []  # (collection, document, envelopes)
        taken = set()
        for m in markers:
            if CARRIED in m:
                carried += _carried_entries(m, docs)
                continue
            for target in ((m["c"], d) for d in m["d"]):
                doc = docs.get(target)
                if target in taken or doc is None or not (doc.get(PENDING) or doc.get(OUTBOX) or doc.get(TOMBSTONE)):
                    continue
                taken.add(target)
                pending.append((target[0], doc, _pending_entries(doc)))
        deliveries = [
            await self._publisher.send(Envelope.model_validate(entry))
            for entry in [*carried, *(entry for _, _, entries in pending for entry in entries)]
        ]
        await asyncio.gather(*deliveries)
        await self._acknowledge(pending)
        self._remember([event_id for _, doc, _ in pending for event_id in doc.get(PENDING) or []])
        self._remember([entry["id"] for _, _, entries in pending for entry in entries])
        # an insert's envelopes before its marker: a crash between leaves a marker without
        # envelopes, which publishes nothing more and is deleted
        await self._in_small_commands(self._carried, [DeleteOne({"_id": m["_id"]}) for m in carriers])
        settled = [DeleteOne({"_id": m["_id"], "v": m["v"]}) for m in markers if CARRIED in m or self._settled(m)]
        await self._in_small_commands(self._markers, settled)
        return len(deliveries)

    async def _acknowledge(self, pending: list[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> None:
        """Remove the published envelopes from their documents, and flushed tombstones.

        By _id alone (FerretDB looks that up by index; any other filter scans): removing ids
        is idempotent, and a tombstone that replaced the document meanwhile keeps its own,
        different ids."""
        acknowledgements: dict[str, list] = {}
        tombstones: dict[str, list] = {}
        for c, doc, entries in pending:
            if doc.get(PENDING) or entries:
                acknowledgement = UpdateOne({"_id": doc["_id"]}, _acknowledgement(doc, entries))
                acknowledgements.setdefault(c, []).append(acknowledgement)
            if doc.get(TOMBSTONE):
                tombstones.setdefault(c, []).append(DeleteOne({"_id": doc["_id"], TOMBSTONE: True, **FLUSHED}))
        for c, requests in acknowledgements.items():
            await self._in_small_commands(self._db[c], requests)
        for c, requests in tombstones.items():
            await self._in_small_commands(self._db[c], requests)

    @staticmethod
    async def _in_small_commands(collection: AsyncCollection, requests: list) -> None:
        # each command holds the database's single write turn while it runs, and a long one
        # makes every other writer of the service (an import, an API call) wait behind it
        for start in range(0, len(requests), WRITE_COMMAND_SIZE):
            await collection.bulk_write(requests[start:start + WRITE_COMMAND_SIZE], ordered=False)

    def _remember(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            self._acknowledged[event_id] = None
        while len(self._acknowledged) > REMEMBERED_ACKNOWLEDGEMENTS:
            self._acknowledged.popitem(last=False)

    def _settled(self, marker: dict[str, Any]) -> bool:
        """Every id of the marker was acknowledged (now, or earlier by this relay), or was marked
        longer ago than the grace and is not pending in its document (else it would have been
        acknowledged just now): a write that never happened, or an acknowledgement whose marker
        deletion was lost."""
        old = datetime.now(UTC) - self._stale
        return all(
            event_id in self._acknowledged or _utc(marked_at) < old
            for event_id, marked_at in (marker.get("events") or {}).items()
        )


def _pending_entries(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The document's envelopes not yet published, in the order they were written."""
    if doc is None:
        return []
    return sorted((doc.get(OUTBOX) or {}).values(), key=lambda e: (e["time"], e["id"]))


def _carried_entries(marker: dict[str, Any], docs: dict[tuple[str, Any], dict[str, Any] | None]
                     ) -> list[dict[str, Any]]:
    """The envelopes an insert carried beside its documents, in the order they were written. If
    the writer never confirmed the insert (it died), only those of documents this insert wrote."""
    refused = set(marker.get("refused") or [])
    outbox = {e: envelope for e, envelope in marker[CARRIED].items() if e not in refused}
    if marker.get("confirmed"):
        ids = list(outbox)
    else:
        written = [(docs.get((marker["c"], d)) or {}).get(CARRIED_BY) == marker["_id"] for d in marker["d"]]
        ids = [e for e, n in marker["of"].items() if written[n]]
    return sorted((outbox[e] for e in ids if e in outbox), key=lambda e: (e["time"], e["id"]))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # a client without tz_aware


def _acknowledgement(doc: dict[str, Any], published: list[dict[str, Any]]) -> dict[str, Any]:
    """Remove the published envelopes and their ids (absent ones are left alone)."""
    update: dict[str, Any] = {"$pullAll": {PENDING: list(doc.get(PENDING) or [])}}
    if published:
        update["$unset"] = {f"{OUTBOX}.{entry['id']}": "" for entry in published}
    return update
