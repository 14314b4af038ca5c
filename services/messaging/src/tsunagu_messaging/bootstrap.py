"""The one place where the messaging service's infrastructure is chosen and wired."""

from dataclasses import dataclass

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.handlers import MessagingHandlers


@dataclass
class Container:
    infra: Infrastructure
    handlers: MessagingHandlers


async def bootstrap(settings: MessagingSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[])
    handlers = MessagingHandlers(relay=infra.relay)
    infra.add_consumer(group="messaging", topics=list(CONSUMER_GROUPS["messaging"]), handle=handlers.on_event)
    return Container(infra=infra, handlers=handlers)
