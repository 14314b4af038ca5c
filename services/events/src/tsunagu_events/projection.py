"""The events index, fed from the events service's own events and rebuilt from its store
(tsunagu_shared.projection). Every change of an event (published, a seat taken or given up,
cancelled) publishes an event naming it; the organizer's own publish and cancel wait for the
refresh, so her next list shows them."""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.projection import Projection, batches
from tsunagu_shared.search import SearchIndex, Versioned

from tsunagu_events.adapters.event_index import EventIndex, event_document
from tsunagu_events.adapters.events_repository import MongoEventRepository

REBUILD_BATCH = 500


@dataclass
class EventProjection(Projection):
    events: MongoEventRepository
    lists: EventIndex

    @property
    def index(self) -> SearchIndex:  # type: ignore[override]
        return self.lists.index

    async def subjects(self, envelope: Envelope) -> Iterable[str]:
        """Projector of events.events (group events-search): each names its event."""
        event_id = getattr(envelope.event(), "event_id", None)
        return [event_id] if event_id else []

    async def documents(self, ids: list[str]) -> list[Versioned]:
        found = [await self.events.get(event_id) for event_id in ids]
        return [event_document(event) for event in found if event is not None]

    async def stored(self) -> AsyncIterator[list[Versioned]]:
        """Every stored event (a cancelled one too), in batches."""
        async for batch in batches(self.events.every_event_id(), REBUILD_BATCH):
            yield await self.documents(batch)
