"""The one place where the profile service's infrastructure is chosen and wired."""

from dataclasses import dataclass

import structlog
from tsunagu_shared import search
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.standing import StandingView
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_profile.adapters.blocks import MongoCompanyBlocks
from tsunagu_profile.adapters.directory import MongoCompanyDirectory
from tsunagu_profile.adapters.photos import database_store
from tsunagu_profile.adapters.repository import PROFILES, MongoProfileRepository
from tsunagu_profile.adapters.search_index import PROFILES_INDEX, ProfileSearchIndex
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.handlers import ProfileHandlers
from tsunagu_profile.projection import ProfileProjection

log = structlog.get_logger(__name__)
# What group `profile` acts on (scout.events, notify.deliveries); the rest is passed over.
HANDLED_EVENTS = frozenset({"CompanyStatusChanged", "RecruiterChanged", "CompanyBlocked", "ContactOptedOut",
                            "ContactOptedIn"})


@dataclass
class Container:
    infra: Infrastructure
    handlers: ProfileHandlers
    projection: ProfileProjection
    standing: StandingView


def open_projection(infra: Infrastructure, settings: ProfileSettings) -> ProfileProjection:
    """The profiles index and what feeds it (the service, and the rebuild command)."""
    client = search.connect(settings)
    infra.add_closer(client.close)
    index = search.SearchIndex(client, PROFILES_INDEX, settings)
    return ProfileProjection(profiles=MongoProfileRepository(infra.db), blocks=MongoCompanyBlocks(infra.db),
                             search=ProfileSearchIndex(index))


async def bootstrap(settings: ProfileSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[PROFILES])
    projection = open_projection(infra, settings)
    infra.prepare(projection.search.index.ensure_if_reachable, name="profiles search index")
    handlers = ProfileHandlers(
        profiles=projection.profiles,
        directory=MongoCompanyDirectory(infra.db),
        photos=database_store(infra.db),
        photo_max_bytes=settings.photo_max_bytes,
        blocks=projection.blocks,
        search_index=projection.search,
        projection=projection,
    )
    standing = StandingView(infra.db)
    infra.add_consumer(group="profile", topics=list(CONSUMER_GROUPS["profile"]),
                       handle=standing.feeding(handlers.on_event), types=HANDLED_EVENTS)
    infra.add_projector(group="profile-search", topics=list(CONSUMER_GROUPS["profile-search"]),
                        handle_batch=projection.on_events)
    return Container(infra=infra, handlers=handlers, projection=projection, standing=standing)
