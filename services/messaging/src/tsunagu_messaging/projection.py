"""The threads index, written after every write of a thread and from messaging's own events,
rebuilt from the store (tsunagu_shared.projection).

Every write of a thread goes through `ProjectedThreads`, which projects the thread it changed once
the store has it: a person's own action (a message, archiving, reading) waits for the refresh, so
her next list shows it. Changes made while the engine is away reach the index through the projector of
messaging.events (a message, a reply, an interview or an offer names its thread), the thread's next
write, or a rebuild; the writes themselves never wait for the engine.
"""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.projection import Projection, batches, unavailable_is_transient
from tsunagu_shared.search import SearchIndex, Versioned

from tsunagu_messaging.adapters.thread_index import ThreadIndex, thread_document
from tsunagu_messaging.adapters.threads import MongoThreadRepository
from tsunagu_messaging.domain.threads import Side, Thread

REBUILD_BATCH = 1000


@dataclass
class ThreadProjection(Projection):
    threads: MongoThreadRepository
    lists: ThreadIndex

    @property
    def index(self) -> SearchIndex:  # type: ignore[override]
        return self.lists.index

    async def subjects(self, envelope: Envelope) -> Iterable[str]:
        """Projector of messaging.events (group messaging-search): its events name their thread."""
        thread_id = getattr(envelope.event(), "thread_id", None)
        return [thread_id] if thread_id else []

    async def documents(self, ids: list[str]) -> list[Versioned]:
        found = [await self.threads.get_versioned(thread_id) for thread_id in ids]  # by _id
        return [thread_document(thread, version) for thread, version in filter(None, found)]

    async def stored(self) -> AsyncIterator[list[Versioned]]:
        """Every stored thread, in batches, in one pass over the store."""
        async for batch in batches(self.threads.every_thread(batch_size=REBUILD_BATCH), REBUILD_BATCH):
            yield [thread_document(thread, version) for thread, version in batch]


class ProjectedThreads(MongoThreadRepository):
    """The thread repository whose writes are projected into the threads index once stored.

    Writes made by consumers (a scout opens a thread, a block, a decline, an erasure) raise
    TransientError while the engine is away, so the consumer retries its (idempotent) handler;
    writes made by a person's request succeed anyway and reach the index later."""

    def __init__(self, db: AsyncDatabase, projection: "ThreadProjection") -> None:
        super().__init__(db)
        self.projection = projection

    async def open(self, thread: Thread) -> Thread:
        opened = await super().open(thread)
        await self.projection.project([opened.thread_id])
        return opened

    async def update(self, thread_id: str, fields: dict[str, Any]) -> None:
        await super().update(thread_id, fields)
        await self.projection.project_quietly([thread_id], refresh="wait_for")

    async def record_message(self, thread_id: str, *, sender: Side, at: datetime) -> None:
        await super().record_message(thread_id, sender=sender, at=at)
        # the sender's list shows the thread on top when she looks next (and the recipient's too)
        await self.projection.project_quietly([thread_id], refresh="wait_for")

    async def mark_read(self, thread_id: str, reader: Side) -> None:
        await super().mark_read(thread_id, reader)
        await self.projection.project_quietly([thread_id], refresh="wait_for")

    async def close_for_candidate(self, candidate_id: str, reason: str) -> None:
        await super().close_for_candidate(candidate_id, reason)
        with unavailable_is_transient():
            ids = await self.projection.lists.of_candidate(candidate_id)
        await self.projection.project(ids)

    async def block(self, *, company_id: str, candidate_id: str) -> None:
        await super().block(company_id=company_id, candidate_id=candidate_id)
        await self._project_pair(company_id, candidate_id)

    async def mark_scout_declined(self, *, company_id: str, candidate_id: str, scout_id: str) -> None:
        await super().mark_scout_declined(company_id=company_id, candidate_id=candidate_id, scout_id=scout_id)
        await self._project_pair(company_id, candidate_id)

    async def _project_pair(self, company_id: str, candidate_id: str) -> None:
        with unavailable_is_transient():
            ids = await self.projection.lists.between(company_id, candidate_id)
        await self.projection.project(ids)

    async def list_page(self, side: Side, party_id: str, *, archived: bool, cursor: str | None, limit: int
                        ) -> tuple[list[Thread], str | None]:
        """A page of the party's threads, from the threads index."""
        return await self.projection.lists.list_for(side, party_id, archived=archived, cursor=cursor, limit=limit)
