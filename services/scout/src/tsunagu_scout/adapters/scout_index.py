"""The scouts index in OpenSearch: what the "sent" list of a company and the "received" list of a
student read (the store answers only lookups by id quickly).

One document per scout, id = scout id, as the store holds it. Its external version counts the
changes a scout can go through, each at most once and never undone: closed (answered, declined,
expired, withdrawn), viewed, its slot released, its reason erased with the student. So the
version grows with every change and a late projection never replaces a newer one.
"""

from typing import Any

from tsunagu_shared.search import IndexSpec, SearchIndex, Versioned

from tsunagu_scout.domain.model import Scout, ScoutState

SCOUTS_INDEX = IndexSpec(
    name="scouts",
    # a sender reads her own scout at once (the write waits for a refresh); others within a second
    refresh_interval="250ms",
    mappings={
        "dynamic": False,  # everything else is kept for display, not indexed
        "properties": {
            "scout_id": {"type": "keyword"},
            "company_id": {"type": "keyword"},
            "candidate_id": {"type": "keyword"},
            "recruiter_id": {"type": "keyword"},
            "state": {"type": "keyword"},
            "tier": {"type": "keyword"},
            "sent_at": {"type": "date"},
            "expires_at": {"type": "date"},
        },
    },
)

SENT, RECEIVED = "sent", "received"


def scout_version(scout: Scout) -> int:
    """1 + one bit per change a scout goes through once: each change makes it larger."""
    return 1 + (8 if scout.state != "awaiting" else 0) + (4 if scout.viewed_at else 0) \
        + (2 if scout.slot_released else 0) + (1 if scout.reason == "" else 0)


def scout_document(scout: Scout) -> Versioned:
    return Versioned(id=scout.scout_id, version=scout_version(scout), source=scout.model_dump(mode="json"))


class ScoutIndex:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def sent(self, company_id: str, *, state: ScoutState | None, cursor: str | None, limit: int
                   ) -> tuple[list[Scout], str | None]:
        """A page of one company's scouts, newest first (the scout id breaks ties), and the cursor
        of the next page (None on the last)."""
        filters: list[dict[str, Any]] = [{"term": {"company_id": company_id}}]
        if state:
            filters.append({"term": {"state": state}})
        return await self._page(SENT, filters, [{"sent_at": "desc"}, {"scout_id": "asc"}], cursor, limit)

    async def received(self, candidate_id: str, *, cursor: str | None, limit: int) -> tuple[list[Scout], str | None]:
        """A page of one student's scouts: premium first ("premium" sorts before "regular"), then newest."""
        return await self._page(RECEIVED, [{"term": {"candidate_id": candidate_id}}],
                                [{"tier": "asc"}, {"sent_at": "desc"}, {"scout_id": "asc"}], cursor, limit)

    async def of_candidate(self, candidate_id: str) -> list[str]:
        return await self.index.ids({"term": {"candidate_id": candidate_id}}, id_field="scout_id")

    async def between(self, company_id: str, candidate_id: str) -> list[str]:
        query = {"bool": {"filter": [{"term": {"company_id": company_id}}, {"term": {"candidate_id": candidate_id}}]}}
        return await self.index.ids(query, id_field="scout_id")

    async def _page(self, kind: str, filters: list[dict[str, Any]], sort: list[dict[str, str]], cursor: str | None,
                    limit: int) -> tuple[list[Scout], str | None]:
        hits, next_cursor = await self.index.page(kind, query={"bool": {"filter": filters}}, sort=sort,
                                                  cursor=cursor, limit=limit)
        return [Scout.model_validate(hit["_source"]) for hit in hits], next_cursor
