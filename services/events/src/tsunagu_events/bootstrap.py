"""The one place where the events service's infrastructure is chosen and wired."""

from dataclasses import dataclass

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.standing import StandingView
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_events.adapters.events_repository import EVENTS, LEDGER, MongoEventRepository
from tsunagu_events.adapters.registrations_repository import (
    CHECK_INS,
    MATCHES,
    MongoInterestRepository,
    MongoRegistrationRepository,
)
from tsunagu_events.config import EventsSettings
from tsunagu_events.handlers import EventsHandlers

# The collections whose documents carry events (the outbox).
OUTBOX_COLLECTIONS = [EVENTS, LEDGER, CHECK_INS, MATCHES]


@dataclass
class Container:
    infra: Infrastructure
    handlers: EventsHandlers
    standing: StandingView


async def bootstrap(settings: EventsSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    events = MongoEventRepository(infra.db)
    registrations = MongoRegistrationRepository(infra.db)
    interests = MongoInterestRepository(infra.db)
    for repository in (events, registrations, interests):
        await repository.ensure_indexes()
    handlers = EventsHandlers(events=events, registrations=registrations, interests=interests, relay=infra.relay)
    standing = StandingView(infra.db)
    infra.add_consumer(group="events", topics=list(CONSUMER_GROUPS["events"]),
                       handle=standing.feeding(handlers.on_event))
    return Container(infra=infra, handlers=handlers, standing=standing)
