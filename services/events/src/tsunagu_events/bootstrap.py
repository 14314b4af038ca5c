"""The one place where the events service's infrastructure is chosen and wired."""

from dataclasses import dataclass

import structlog
from tsunagu_shared import search
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.standing import StandingView
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_events.adapters.event_index import EVENTS_INDEX, EventIndex
from tsunagu_events.adapters.events_repository import EVENTS, LEDGER, MongoEventRepository
from tsunagu_events.adapters.registrations_repository import (
    CHECK_INS,
    MATCHES,
    MongoInterestRepository,
    MongoRegistrationRepository,
)
from tsunagu_events.config import EventsSettings
from tsunagu_events.handlers import EventsHandlers
from tsunagu_events.projection import EventProjection

log = structlog.get_logger(__name__)

# The collections whose documents carry events (the outbox).
OUTBOX_COLLECTIONS = [EVENTS, LEDGER, CHECK_INS, MATCHES]


@dataclass
class Container:
    infra: Infrastructure
    handlers: EventsHandlers
    standing: StandingView


def open_projection(infra: Infrastructure, settings: EventsSettings) -> EventProjection:
    """The events index and what feeds it (the service, and the rebuild command)."""
    client = search.connect(settings)
    infra.add_closer(client.close)
    return EventProjection(events=MongoEventRepository(infra.db),
                           lists=EventIndex(search.SearchIndex(client, EVENTS_INDEX, settings)))


async def bootstrap(settings: EventsSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    projection = open_projection(infra, settings)
    infra.prepare(projection.index.ensure_if_reachable, name="events search index")
    events = projection.events
    registrations = MongoRegistrationRepository(infra.db)
    interests = MongoInterestRepository(infra.db)
    for repository in (events, registrations, interests):
        infra.prepare(repository.ensure_indexes, name=f"indexes of {type(repository).__name__}")
    handlers = EventsHandlers(events=events, registrations=registrations, interests=interests,
                              projection=projection)
    standing = StandingView(infra.db)
    infra.add_consumer(group="events", topics=list(CONSUMER_GROUPS["events"]),
                       handle=standing.feeding(handlers.on_event))
    infra.add_projector(group="events-search", topics=list(CONSUMER_GROUPS["events-search"]),
                        handle_batch=projection.on_events)
    return Container(infra=infra, handlers=handlers, standing=standing)
