"""The profiles index, fed from the profile service's own events and rebuilt from its store.

A projection does not apply an event's changes: it reads the profile as the store has it now
(a lookup by id) and writes that, versioned. Events only say whom to look at again, so
redelivery, reordering or a replay of the whole topic all end in the store's state.
"""

from dataclasses import dataclass

import structlog

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileDeleted
from tsunagu_shared.kafka.consumer import TransientError
from tsunagu_shared.search import SEARCH_UNAVAILABLE

from tsunagu_profile.adapters.blocks import CompanyBlocks
from tsunagu_profile.adapters.repository import ProfileRepository
from tsunagu_profile.adapters.search_index import ProfileSearchIndex, erased_document, profile_document
from tsunagu_profile.domain.model import Profile

log = structlog.get_logger(__name__)

REBUILD_BATCH = 1000


@dataclass
class ProfileProjection:
    profiles: ProfileRepository
    blocks: CompanyBlocks
    search: ProfileSearchIndex

    async def on_profile_event(self, envelope: Envelope) -> None:
        """Consumer of profile.events (group profile-search): every event names a candidate."""
        event = envelope.event()
        candidate_id = getattr(event, "candidate_id", None)
        if candidate_id is None:
            return
        if isinstance(event, ProfileDeleted):
            await self._write(lambda: self.search.index.put(erased_document(candidate_id)))
        else:
            await self.project(candidate_id)

    async def project(self, candidate_id: str) -> None:
        """Write her profile as stored now (nothing when she has none, or was erased:
        ProfileDeleted leaves the marker)."""
        profile = await self.profiles.get(candidate_id)
        if profile is None:
            return
        document = profile_document(profile, await self.blocks.of(candidate_id))
        await self._write(lambda: self.search.index.put(document))

    async def rebuild(self) -> int:
        """Drop the index and fill it again from the store, in one pass; the number of documents
        written (an erased profile is in the store only until its last events are published).

        The projector may go on meanwhile: versions keep whichever of the two writes is newer."""
        await self.search.index.drop()
        await self.search.index.ensure()
        written, batch = 0, []
        async for stored in self.profiles.every_profile(batch_size=REBUILD_BATCH):
            batch.append(stored)
            if len(batch) == REBUILD_BATCH:
                written += await self._rebuild_batch(batch)
                batch = []
        written += await self._rebuild_batch(batch)
        await self.search.index.refresh()
        log.info("profiles_index_rebuilt", index=self.search.index.name, written=written)
        return written

    async def _rebuild_batch(self, batch: list[tuple[str, Profile | None]]) -> int:
        if not batch:
            return 0
        blocked = await self.blocks.of_many([candidate_id for candidate_id, _ in batch])
        return await self.search.index.put_many(
            [profile_document(p, blocked.get(i, [])) if p else erased_document(i) for i, p in batch])

    @staticmethod
    async def _write(write) -> None:
        try:
            await write()
        except SEARCH_UNAVAILABLE as exc:  # the consumer retries without limit; the offset waits
            raise TransientError(f"search engine unavailable: {exc}") from exc
