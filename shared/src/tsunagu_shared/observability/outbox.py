"""The outbox backlog of a service: how many events wait to be published, and since when.

Counted from the markers (`outbox_pending`, a small collection the relay reads whole at every
look anyway), never from the outbox collections: FerretDB would decode every document of
those to answer any filter. A marker names its events with the time each was marked; an
insert's marker (events travelling beside the documents) names them in its packed `docs`.
Markers the relay has not settled yet count too (a write that never happened, dropped after
`outbox_stale_marker_seconds`), so the oldest age can reach that grace without anything
being stuck: alert above it."""

import time
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Gauge
from pymongo.asynchronous.database import AsyncDatabase

from tsunagu_shared.db import unpacked
from tsunagu_shared.outbox.documents import PENDING_INDEX

PENDING = Gauge("tsunagu_outbox_pending_events", "Events written with their change and not yet published "
                "(as of the last look at the outbox markers)")
OLDEST_AGE = Gauge("tsunagu_outbox_oldest_pending_age_seconds", "Age of the oldest event not yet published "
                   "(0 when none waits)")
_LOOK = {"at": 1, "events": 1, "docs": 1}


class OutboxBacklog:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._markers = db[PENDING_INDEX]
        self._oldest: float | None = None  # when the oldest waiting event was marked (epoch seconds)
        OLDEST_AGE.set_function(self.oldest_age)  # as of the scrape, not of the last look

    async def measure(self) -> None:
        markers = await self._markers.find({}, _LOOK).to_list()
        count, oldest = 0, None
        for marker in markers:
            if "docs" in marker:
                count += len(unpacked(marker["docs"]).get("of") or {})
                times = [marker.get("at")]
            else:
                events = marker.get("events") or {}
                count += len(events)
                times = list(events.values()) if events else []
            for moment in times:
                if isinstance(moment, datetime):
                    seconds = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
                    oldest = seconds if oldest is None else min(oldest, seconds)
        PENDING.set(count)
        self._oldest = oldest

    def oldest_age(self) -> float:
        return 0.0 if self._oldest is None else max(0.0, time.time() - self._oldest)
