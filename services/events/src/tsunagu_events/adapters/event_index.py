"""The events index in OpenSearch: upcoming published events, soonest first (what `GET /events`
reads; the store answers only lookups by id quickly).

One document per event, id = event id, holding what everyone signed in sees (never who
registered), versioned by the event's seat ledger version (+1: a new event is version 0), which
every change of an event increments.
"""

from datetime import datetime

from tsunagu_shared.search import IndexSpec, SearchIndex, Versioned

from tsunagu_events.domain.model import Event
from tsunagu_events.domain.views import EventPublic

EVENTS_INDEX = IndexSpec(
    name="events",
    refresh_interval="250ms",
    mappings={
        "dynamic": False,  # everything else is kept for display, not indexed
        "properties": {
            "event_id": {"type": "keyword"},
            "status": {"type": "keyword"},
            "kind": {"type": "keyword"},
            "company_ids": {"type": "keyword"},
            "starts_at": {"type": "date"},
        },
    },
)
UPCOMING = "upcoming"


def event_document(event: Event) -> Versioned:
    return Versioned(id=event.event_id, version=event.version + 1,
                     source=EventPublic.of(event).model_dump(mode="json"))


class EventIndex:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def upcoming(self, now: datetime, *, cursor: str | None, limit: int) -> tuple[list[EventPublic], str | None]:
        """A page of the published events starting after `now`, soonest first (the event id breaks
        ties), and the next page's cursor (None on the last)."""
        sort = [{"starts_at": "asc"}, {"event_id": "asc"}]
        query = {"bool": {"filter": [{"term": {"status": "published"}},
                                     {"range": {"starts_at": {"gt": now.isoformat()}}}]}}
        hits, next_cursor = await self.index.page(UPCOMING, query=query, sort=sort, cursor=cursor, limit=limit)
        return [EventPublic.model_validate(h["_source"]) for h in hits], next_cursor
