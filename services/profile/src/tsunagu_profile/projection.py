"""The profiles index, fed from the profile service's own events and rebuilt from its store.

A projection does not apply an event's changes: it reads the profile as the store has it now
(a lookup by id) and writes that, versioned (tsunagu_shared.projection). Events only say whom to
look at again, so redelivery, reordering or a replay of the whole topic all end in the store's state.
"""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileDeleted
from tsunagu_shared.projection import Projection, batches
from tsunagu_shared.search import SearchIndex, Versioned

from tsunagu_profile.adapters.blocks import CompanyBlocks
from tsunagu_profile.adapters.repository import ProfileRepository
from tsunagu_profile.adapters.search_index import ProfileSearchIndex, erased_document, profile_document
from tsunagu_profile.domain.model import Profile

REBUILD_BATCH = 1000


@dataclass
class ProfileProjection(Projection):
    profiles: ProfileRepository
    blocks: CompanyBlocks
    search: ProfileSearchIndex

    @property
    def index(self) -> SearchIndex:  # type: ignore[override]
        return self.search.index

    async def on_events(self, envelopes: list[Envelope]) -> None:
        """Projector of profile.events (group profile-search): every event names a candidate; an
        erased one leaves a marker (her id, nothing else) that no later projection outranks."""
        erased = [e.event().candidate_id for e in envelopes if isinstance(e.event(), ProfileDeleted)]
        await self.write([erased_document(candidate_id) for candidate_id in dict.fromkeys(erased)])
        await super().on_events([e for e in envelopes if not isinstance(e.event(), ProfileDeleted)])

    async def subjects(self, envelope: Envelope) -> Iterable[str]:
        candidate_id = getattr(envelope.event(), "candidate_id", None)
        return [candidate_id] if candidate_id else []

    async def documents(self, ids: list[str]) -> list[Versioned]:
        """Each profile as stored now (none for one never created, or erased: ProfileDeleted
        leaves the marker)."""
        found = [(i, await self.profiles.get(i)) for i in ids]  # by _id: the store's one fast read
        return [profile_document(p, await self.blocks.of(i)) for i, p in found if p is not None]

    async def stored(self) -> AsyncIterator[list[Versioned]]:
        """Every stored profile, in batches, in one pass (an erased profile is in the store only until
        its last events are published)."""
        async for batch in batches(self.profiles.every_profile(batch_size=REBUILD_BATCH), REBUILD_BATCH):
            yield await self._documents_of(batch)

    async def _documents_of(self, batch: list[tuple[str, Profile | None]]) -> list[Versioned]:
        blocked = await self.blocks.of_many([candidate_id for candidate_id, _ in batch])
        return [profile_document(p, blocked.get(i, [])) if p else erased_document(i) for i, p in batch]
