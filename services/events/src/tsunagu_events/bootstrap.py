"""The one place where the events service's infrastructure is chosen and wired."""

from dataclasses import dataclass

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_events.config import EventsSettings
from tsunagu_events.handlers import EventsHandlers


@dataclass
class Container:
    infra: Infrastructure
    handlers: EventsHandlers


async def bootstrap(settings: EventsSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[])
    handlers = EventsHandlers(relay=infra.relay)
    infra.add_consumer(group="events", topics=list(CONSUMER_GROUPS["events"]), handle=handlers.on_event)
    return Container(infra=infra, handlers=handlers)
