"""The one place where the messaging service's infrastructure is chosen and wired."""

from dataclasses import dataclass

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
from tsunagu_messaging.adapters.threads import MESSAGES, MongoMessageRepository, MongoThreadRepository
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.handlers import ConsumedEvents, Conversation, Scheduling


@dataclass
class Container:
    infra: Infrastructure
    conversation: Conversation
    scheduling: Scheduling
    consumed: ConsumedEvents
    standing: StandingView


async def bootstrap(settings: MessagingSettings, *, store: AttachmentStore | None = None,
                    profile: ProfileClient | None = None) -> Container:
    infra = Infrastructure.open(settings, outbox_collections=[MESSAGES, INTERVIEWS, OFFERS, QUESTIONS])
    threads, messages = MongoThreadRepository(infra.db), MongoMessageRepository(infra.db)
    interviews, offers = MongoInterviewRepository(infra.db), MongoOfferRepository(infra.db)
    attachments, directory = MongoAttachmentRepository(infra.db), MongoDirectory(infra.db)
    for repository in (threads, messages, interviews, offers):
        await repository.ensure_indexes()
    store = store or database_store(infra.db)
    profile = profile or HttpProfileClient(settings, base_url=settings.profile_url,
                                           timeout=settings.profile_timeout_seconds)
    conversation = Conversation(threads=threads, messages=messages, attachments=attachments,
                                questions=MongoQuestionRepository(infra.db), store=store, directory=directory,
                                profile=profile, relay=infra.relay, settings=settings)
    scheduling = Scheduling(threads=threads, interviews=interviews, offers=offers, directory=directory,
                            relay=infra.relay, thread_base_url=settings.thread_base_url)
    consumed = ConsumedEvents(threads=threads, messages=messages, attachments=attachments, interviews=interviews,
                              offers=offers, store=store, directory=directory)
    infra.every(settings.offer_lapse_poll_seconds, scheduling.lapse_due_offers, name="offers_lapsed")
    standing = StandingView(infra.db)
    infra.add_consumer(group="messaging", topics=list(CONSUMER_GROUPS["messaging"]),
                       handle=standing.feeding(consumed.on_event))
    return Container(infra=infra, conversation=conversation, scheduling=scheduling, consumed=consumed,
                     standing=standing)
