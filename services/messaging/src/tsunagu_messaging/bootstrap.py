"""The one place where the messaging service's infrastructure is chosen and wired."""

from dataclasses import dataclass

import structlog
from tsunagu_shared import search
from tsunagu_shared.due import DueBuckets
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.standing import StandingView
from tsunagu_shared.topics import CONSUMER_GROUPS

from tsunagu_messaging.adapters.directory import MongoDirectory
from tsunagu_messaging.adapters.profile_client import HttpProfileClient, ProfileClient
from tsunagu_messaging.adapters.records import (
    INTERVIEWS,
    OFFERS,
    QUESTIONS,
    MongoAttachmentRepository,
    MongoInterviewRepository,
    MongoOfferRepository,
    MongoQuestionRepository,
)
from tsunagu_messaging.adapters.storage import AttachmentStore, database_store
from tsunagu_messaging.adapters.thread_index import THREADS_INDEX, ThreadIndex
from tsunagu_messaging.adapters.threads import MESSAGES, MongoMessageRepository, MongoThreadRepository
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.handlers import ConsumedEvents, Conversation, Scheduling
from tsunagu_messaging.projection import ProjectedThreads, ThreadProjection

log = structlog.get_logger(__name__)
OUTBOX_COLLECTIONS = [MESSAGES, INTERVIEWS, OFFERS, QUESTIONS]


@dataclass
class Container:
    infra: Infrastructure
    conversation: Conversation
    scheduling: Scheduling
    consumed: ConsumedEvents
    standing: StandingView


def open_projection(infra: Infrastructure, settings: MessagingSettings) -> ThreadProjection:
    """The threads index and what feeds it (the service, and the rebuild command)."""
    client = search.connect(settings)
    infra.add_closer(client.close)
    return ThreadProjection(threads=MongoThreadRepository(infra.db),
                            lists=ThreadIndex(search.SearchIndex(client, THREADS_INDEX, settings)))


async def bootstrap(settings: MessagingSettings, *, store: AttachmentStore | None = None,
                    profile: ProfileClient | None = None) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    projection = open_projection(infra, settings)
    infra.prepare(projection.index.ensure_if_reachable, name="threads search index")
    threads, messages = ProjectedThreads(infra.db, projection), MongoMessageRepository(infra.db)
    interviews, offers = MongoInterviewRepository(infra.db), MongoOfferRepository(infra.db)
    attachments, directory = MongoAttachmentRepository(infra.db), MongoDirectory(infra.db)
    for repository in (threads, messages, interviews, offers):
        infra.prepare(repository.ensure_indexes, name=f"indexes of {type(repository).__name__}")
    store = store or database_store(infra.db)
    profile = profile or HttpProfileClient(settings, base_url=settings.profile_url,
                                           timeout=settings.profile_timeout_seconds)
    conversation = Conversation(threads=threads, messages=messages, attachments=attachments,
                                questions=MongoQuestionRepository(infra.db), store=store, directory=directory,
                                profile=profile, settings=settings)
    scheduling = Scheduling(threads=threads, interviews=interviews, offers=offers, directory=directory,
                            thread_base_url=settings.thread_base_url,
                            lapses=DueBuckets(infra.db, "offer-lapse"))
    consumed = ConsumedEvents(threads=threads, messages=messages, attachments=attachments, interviews=interviews,
                              offers=offers, store=store, directory=directory)
    infra.every(settings.offer_lapse_poll_seconds, scheduling.lapse_due_offers, name="offers_lapsed")
    standing = StandingView(infra.db)
    infra.add_consumer(group="messaging", topics=list(CONSUMER_GROUPS["messaging"]),
                       handle=standing.feeding(consumed.on_event))
    infra.add_projector(group="messaging-search", topics=list(CONSUMER_GROUPS["messaging-search"]),
                        handle_batch=projection.on_events)
    return Container(infra=infra, conversation=conversation, scheduling=scheduling, consumed=consumed,
                     standing=standing)
