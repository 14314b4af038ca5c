"""The transactional outbox without multi-document transactions (docs/architecture.md).

An event is stored inside the very document whose change it describes, in the
same single-document write: `_outbox.<event id>` holds the envelope and
`_pending` lists the ids not yet published. The relay publishes pending
envelopes and removes each only after the broker acknowledged it. A crash
between the write and the publish loses nothing (the envelope is in the
document); a crash between the publish and the removal republishes the same
event id, which consumers skip.

So that the relay never searches a collection (FerretDB decodes the whole
collection for any filter but `_id`), every write that carries events is
preceded by a marker in the database's small `outbox_pending` collection naming
the document and the ids of its events (`OutboxCollection` does both writes).
The relay reads the markers, then each marked document by `_id`; it publishes
what the document's `_pending` lists, acknowledges it there, and deletes the
marker once every id it names is accounted for. Marker first, document second:
no crash can leave a pending event without a marker. What a crash can leave is
harmless (`tests` in shared/ and tests/foundation/ reproduce each window):
- a marker whose document write never happened: its ids never appear in the
  document; the relay drops them `stale_marker_seconds` after they were marked
  (a write still under way is not given up earlier). A write that failed
  (duplicate key, nothing matched) takes its ids off the marker itself;
- a document acknowledged but its marker not deleted (the relay died between
  the two): the same, its ids are no longer pending and are dropped after the grace;
- events published but not acknowledged: published again, consumers skip the id.
A marker is deleted only if nobody marked the document since the relay read it
(each marking writes a new token `v`), so an event marked meanwhile keeps its
marker. At start the relay looks once through its collections for pending events
without a marker (written before markers existed, or by a write that outlived the
grace).

A deletion replaces the document by a tombstone that keeps only the deletion's
events; the relay removes the tombstone once it is flushed. Events of the
document not yet published when it is deleted are dropped with its data: the
deletion event that follows supersedes them for every subscriber.
"""

from tsunagu_shared.outbox.documents import (
    CARRIED_BY,
    CARRIED_INDEX,
    FLUSHED,
    HAS_PENDING,
    NOT_DELETED,
    OUTBOX,
    PENDING,
    PENDING_INDEX,
    TOMBSTONE,
    marker_id,
    new_document,
    tombstone,
    with_events,
)
from tsunagu_shared.outbox.relay import OutboxRelay
from tsunagu_shared.outbox.writer import OutboxCollection, outbox_collection

__all__ = [
    "CARRIED_BY", "CARRIED_INDEX", "FLUSHED", "HAS_PENDING", "NOT_DELETED", "OUTBOX", "PENDING", "PENDING_INDEX",
    "TOMBSTONE", "OutboxCollection", "OutboxRelay", "marker_id", "new_document", "outbox_collection", "tombstone",
    "with_events",
]
