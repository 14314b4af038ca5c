"""The profiles index in OpenSearch: what recruiter search reads (never contact points).

One document per candidate, id = candidate id, written with an external version so a
late or replayed projection never replaces a newer one: the profile's version, then the
number of companies she blocked (blocks only accumulate). An erased profile leaves a
marker without personal data whose version outranks any profile's, so nothing brings
her back.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from tsunagu_shared.search import IndexSpec, SearchIndex, Versioned

from tsunagu_profile.domain.model import Profile, ProfileRecruiterView
from tsunagu_profile.domain.search import SORTS, Cursor, SearchFilters

BLOCK_BITS = 20  # room for the count of blocks below the profile's version
ERASED_VERSION = 2**62
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PROFILES_INDEX = IndexSpec(
    name="profiles",
    # searchable within a quarter second of the projection (the engine's default is 1 s)
    refresh_interval="250ms",
    mappings={
        # fields not named here (languages, selection progress...) are kept for display, not indexed
        "dynamic": False,
        "properties": {
            "candidate_id": {"type": "keyword"},
            "erased": {"type": "boolean"},
            "blocked_companies": {"type": "keyword"},
            "industries": {"type": "keyword"},
            "graduation_year": {"type": "integer"},
            "school": {"type": "keyword"},
            "location": {"type": "keyword"},
            "stages": {"type": "keyword"},
            "personality_type": {"type": "keyword"},
            "has_photo": {"type": "boolean"},
            "last_active_at": {"type": "date"},
            "created_at": {"type": "date"},
            # Japanese has no spaces: the cjk analyzer indexes overlapping character bigrams
            "self_pr": {"type": "text", "analyzer": "cjk"},
            "job_types": {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "cjk"}}},
        },
    },
)
# the fields kept for the index's filters, not shown to recruiters
INTERNAL_FIELDS = ["erased", "blocked_companies", "stages", "personality_type", "created_at"]
TEXT_FIELDS = ["self_pr", "job_types.text"]


def profile_document(profile: Profile, blocked_companies: list[str]) -> Versioned:
    shown = ProfileRecruiterView.model_validate(profile.model_dump()).model_dump(mode="json")
    source = {
        **shown,
        "created_at": profile.created_at.isoformat(),
        "erased": False,
        "blocked_companies": sorted(blocked_companies),
        "stages": sorted({entry.stage for entry in profile.selection_progress}),
        "personality_type": profile.personality.result_type if profile.personality else None,
    }
    return Versioned(id=profile.candidate_id, version=(profile.version << BLOCK_BITS) + len(blocked_companies),
                     source=source)


def erased_document(candidate_id: str) -> Versioned:
    return Versioned(id=candidate_id, version=ERASED_VERSION, source={"candidate_id": candidate_id, "erased": True})


class ProfileSearchIndex:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def search(
        self, filters: SearchFilters, *, sort: str, cursor: Cursor | None, limit: int, hidden_from: str | None
    ) -> list[tuple[dict[str, Any], Cursor]]:
        """A page of profiles as recruiters see them, each with the cursor just after it.
        `hidden_from`: the searching company, whom her blocks hide her from."""
        hits = await self.index.search(query(filters, sort=sort, cursor=cursor, limit=limit, hidden_from=hidden_from))
        return [(hit["_source"], _cursor_after(sort, hit["sort"])) for hit in hits]


def query(
    filters: SearchFilters, *, sort: str, cursor: Cursor | None, limit: int, hidden_from: str | None
) -> dict[str, Any]:
    """The search request: filters, her blocks, full text, sorted with the id as tie-breaker,
    resumed after the cursor (search_after)."""
    body: dict[str, Any] = {
        "size": limit,
        "query": {"bool": {"filter": _filters(filters), "must_not": _excluded(hidden_from),
                           **({"must": [_text(filters.text)]} if filters.text else {})}},
        "sort": [{SORTS[sort]: "desc"}, {"candidate_id": "asc"}],
        "_source": {"excludes": INTERNAL_FIELDS},
        "track_total_hits": False,
    }
    if cursor is not None:
        body["search_after"] = [int(cursor.value.timestamp() * 1000), cursor.candidate_id]
    return body


def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
    terms = {
        "industries": filters.industry,
        "graduation_year": filters.graduation_year,
        "school": filters.school,
        "location": filters.location,
        "stages": filters.stage,
        "personality_type": filters.personality_type,
        "has_photo": filters.has_photo,
    }
    clauses: list[dict[str, Any]] = [{"term": {name: value}} for name, value in terms.items() if value is not None]
    if filters.active_since is not None:
        clauses.append({"range": {"last_active_at": {"gte": filters.active_since.isoformat()}}})
    return clauses


def _excluded(hidden_from: str | None) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = [{"term": {"erased": True}}]
    if hidden_from:
        clauses.append({"term": {"blocked_companies": hidden_from}})
    return clauses


def _text(text: str) -> dict[str, Any]:
    """Every bigram of the words must be there (a phrase match would demand them adjacent)."""
    return {"multi_match": {"query": text, "fields": TEXT_FIELDS, "operator": "and"}}


def _cursor_after(sort: str, values: list[Any]) -> Cursor:
    millis, candidate_id = values
    return Cursor(sort=sort, value=EPOCH + timedelta(milliseconds=millis), candidate_id=candidate_id)
