"""The one place where the profile service's infrastructure is chosen and wired."""

from dataclasses import dataclass

import structlog

from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_profile.adapters.directory import MongoCompanyDirectory
from tsunagu_profile.adapters.photos import LocalPhotoStore
from tsunagu_profile.adapters.repository import PROFILES, MongoProfileRepository
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.handlers import ProfileHandlers


log = structlog.get_logger(__name__)


@dataclass
class Container:
    infra: Infrastructure
    handlers: ProfileHandlers


async def bootstrap(settings: ProfileSettings) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[PROFILES])
    profiles = MongoProfileRepository(infra.db)
    try:
        await profiles.ensure_indexes()
    except Exception as exc:  # the API serves (answering 503) while the database is away
        log.warning("profile_indexes_not_created", error=str(exc))
    handlers = ProfileHandlers(
        profiles=profiles,
        directory=MongoCompanyDirectory(infra.db),
        photos=LocalPhotoStore(settings.photo_folder),
        relay=infra.relay,
        photo_max_bytes=settings.photo_max_bytes,
    )
    infra.add_consumer(group="profile", topics=list(CONSUMER_GROUPS["profile"]), handle=handlers.on_event)
    return Container(infra=infra, handlers=handlers)
