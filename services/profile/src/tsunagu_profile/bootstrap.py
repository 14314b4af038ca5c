"""The one place where the profile service's infrastructure is chosen and wired."""

from dataclasses import dataclass

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_profile.adapters.repository import PROFILES, MongoProfileRepository
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.handlers import ProfileHandlers


@dataclass
class Container:
    infra: Infrastructure
    handlers: ProfileHandlers


async def bootstrap(settings: ProfileSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[PROFILES])
    handlers = ProfileHandlers(profiles=MongoProfileRepository(infra.db), relay=infra.relay)
    infra.add_consumer(group="profile", topics=list(CONSUMER_GROUPS["profile"]), handle=handlers.on_event)
    return Container(infra=infra, handlers=handlers)
