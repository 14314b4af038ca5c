"""The threads index in OpenSearch: a student's threads and a company's, newest activity first
(what `GET /threads` reads; the store answers only lookups by id quickly).

One document per thread, id = thread id, as the store holds it, versioned by the thread's write
count (every write of a thread increments it), so a late projection never replaces a newer one.
"""

from tsunagu_shared.search import IndexSpec, SearchIndex, Versioned

from tsunagu_messaging.domain.threads import Side, Thread, archived_field

THREADS_INDEX = IndexSpec(
    name="threads",
    refresh_interval="250ms",
    mappings={
        "dynamic": False,  # everything else is kept for display, not indexed
        "properties": {
            "thread_id": {"type": "keyword"},
            "company_id": {"type": "keyword"},
            "candidate_id": {"type": "keyword"},
            "archived_by_candidate": {"type": "boolean"},
            "archived_by_company": {"type": "boolean"},
            "last_message_at": {"type": "date"},
        },
    },
)
LIST = "threads"


def thread_document(thread: Thread, version: int) -> Versioned:
    return Versioned(id=thread.thread_id, version=version, source=thread.model_dump(mode="json"))


class ThreadIndex:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def list_for(self, side: Side, party_id: str, *, archived: bool, cursor: str | None, limit: int
                       ) -> tuple[list[Thread], str | None]:
        """A page of one party's threads (hers as a student, her company's as a recruiter), newest
        activity first (the thread id breaks ties), and the next page's cursor (None on the last)."""
        party = "candidate_id" if side == "candidate" else "company_id"
        sort = [{"last_message_at": {"order": "desc", "missing": "_last"}}, {"thread_id": "asc"}]
        query = {"bool": {"filter": [{"term": {party: party_id}}, {"term": {archived_field(side): archived}}]}}
        hits, next_cursor = await self.index.page(LIST, query=query, sort=sort, cursor=cursor, limit=limit)
        return [Thread.model_validate(h["_source"]) for h in hits], next_cursor

    async def of_candidate(self, candidate_id: str) -> list[str]:
        return await self.index.ids({"term": {"candidate_id": candidate_id}}, id_field="thread_id")

    async def between(self, company_id: str, candidate_id: str) -> list[str]:
        query = {"bool": {"filter": [{"term": {"company_id": company_id}}, {"term": {"candidate_id": candidate_id}}]}}
        return await self.index.ids(query, id_field="thread_id")
