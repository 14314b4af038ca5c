"""The one place where the notify service's infrastructure is chosen and wired."""

from dataclasses import dataclass

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_notify.config import NotifySettings
from tsunagu_notify.handlers import NotifyHandlers


@dataclass
class Container:
    infra: Infrastructure
    handlers: NotifyHandlers


async def bootstrap(settings: NotifySettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[])
    handlers = NotifyHandlers(relay=infra.relay)
    infra.add_consumer(group="notify", topics=list(CONSUMER_GROUPS["notify"]), handle=handlers.on_event)
    return Container(infra=infra, handlers=handlers)
