"""The one place where the scout service's infrastructure is chosen and wired."""

from dataclasses import dataclass

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.handlers import ScoutHandlers


@dataclass
class Container:
    infra: Infrastructure
    handlers: ScoutHandlers


async def bootstrap(settings: ScoutSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[])
    handlers = ScoutHandlers(relay=infra.relay)
    infra.add_consumer(group="scout", topics=list(CONSUMER_GROUPS["scout"]), handle=handlers.on_event)
    return Container(infra=infra, handlers=handlers)
