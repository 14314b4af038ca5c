"""The scouts index, fed from scout's own events and from its own writes, rebuilt from its store.

Events only say which scouts to read again (tsunagu_shared.projection). Some changes publish no
event of their own (a reply closes the scout, a block withdraws one, an erasure blanks the
reasons): the handler that makes such a change projects the scouts it changed before it returns,
and a consumer's handler is retried until that write succeeds. A person's own action (a scout she
sent, viewed or declined) is written with `refresh=wait_for`, so her next list shows it.
"""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyBlocked
from tsunagu_shared.projection import Projection, batches, unavailable_is_transient
from tsunagu_shared.search import SearchIndex, Versioned

from tsunagu_scout.adapters.scout_index import ScoutIndex, scout_document
from tsunagu_scout.adapters.scouts import MongoScouts

REBUILD_BATCH = 1000


@dataclass
class ScoutProjection(Projection):
    scouts: MongoScouts
    lists: ScoutIndex

    @property
    def index(self) -> SearchIndex:  # type: ignore[override]
        return self.lists.index

    async def subjects(self, envelope: Envelope) -> Iterable[str]:
        """Projector of scout.events (group scout-search): a scout's events name it; a block
        names the scouts of the pair (one awaiting is withdrawn)."""
        event = envelope.event()
        if isinstance(event, CompanyBlocked):
            return await self.lists.between(event.company_id, event.candidate_id)
        scout_id = getattr(event, "scout_id", None)
        return [scout_id] if scout_id else []

    async def documents(self, ids: list[str]) -> list[Versioned]:
        found = [await self.scouts.get(scout_id) for scout_id in ids]  # by _id: the store's one fast read
        return [scout_document(scout) for scout in found if scout is not None]

    async def of_candidate(self, candidate_id: str) -> None:
        """Project again every scout of a student (after her erasure blanked their reasons)."""
        with unavailable_is_transient():
            ids = await self.lists.of_candidate(candidate_id)
        await self.project(ids)

    async def stored(self) -> AsyncIterator[list[Versioned]]:
        """Every stored scout, in batches, in one pass over the store."""
        async for batch in batches(self.scouts.every_scout(batch_size=REBUILD_BATCH), REBUILD_BATCH):
            yield [scout_document(scout) for scout in batch]
