"""Where profiles are stored: a small protocol and its MongoDB implementation."""

from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import NOT_DELETED, OUTBOX, PENDING, new_document, outbox_collection, tombstone, with_events

from tsunagu_profile.domain.model import Profile
from tsunagu_profile.domain.search import SORTS, Cursor, SearchFilters

PROFILES = "profiles"


class ProfileAlreadyExists(Exception):
    pass


class ConcurrentUpdate(Exception):
    """Another write changed the profile since it was read."""


class ProfileRepository(Protocol):
    async def add(self, profile: Profile, *events: Envelope) -> None: ...
    async def get(self, candidate_id: str) -> Profile | None: ...
    async def save(self, profile: Profile, *, expected_version: int, events: list[Envelope]) -> None: ...
    async def delete(self, candidate_id: str, *events: Envelope) -> bool: ...
    async def search(
        self, filters: SearchFilters, *, sort: str, cursor: Cursor | None, limit: int
    ) -> list[Profile]: ...


class MongoProfileRepository:
    """Each write carries its events in the same single-document write (the outbox)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._profiles = outbox_collection(db, PROFILES)

    async def ensure_indexes(self) -> None:
        """Indexes for recruiter search over ~100k profiles: each filter, and each sort with its tie-breaker."""
        for field in SORTS.values():
            await self._profiles.create_index([(field, DESCENDING), ("_id", ASCENDING)])
        for field in ("industries", "graduation_year", "school", "location", "selection_progress.stage",
                      "personality.result_type", "has_photo"):
            await self._profiles.create_index([(field, ASCENDING), ("last_active_at", DESCENDING)])

    async def add(self, profile: Profile, *events: Envelope) -> None:
        document = {"_id": profile.candidate_id, **profile.model_dump()}
        try:
            await self._profiles.insert_one(new_document(_storable(document), *events))
        except DuplicateKeyError as exc:
            raise ProfileAlreadyExists(profile.candidate_id) from exc

    async def get(self, candidate_id: str) -> Profile | None:
        document = await self._profiles.find_one({"_id": candidate_id, **NOT_DELETED}, {OUTBOX: 0})
        return Profile.model_validate(document) if document else None

    async def save(self, profile: Profile, *, expected_version: int, events: list[Envelope]) -> None:
        """Write the whole profile if nobody else wrote since `expected_version`."""
        fields = _storable({**profile.model_dump(), "version": expected_version + 1})
        result = await self._profiles.update_one(
            {"_id": profile.candidate_id, "version": expected_version, **NOT_DELETED},
            with_events({"$set": fields}, *events),
        )
        if result.matched_count != 1:
            raise ConcurrentUpdate(profile.candidate_id)

    async def delete(self, candidate_id: str, *events: Envelope) -> bool:
        """Replace the profile by a tombstone holding only its last events (no personal data)."""
        result = await self._profiles.replace_one(
            {"_id": candidate_id, **NOT_DELETED}, tombstone(candidate_id, *events)
        )
        return result.matched_count == 1

    async def search(
        self, filters: SearchFilters, *, sort: str, cursor: Cursor | None, limit: int
    ) -> list[Profile]:
        field = SORTS[sort]
        query: dict[str, Any] = {**NOT_DELETED, **_filter_query(filters)}
        if cursor is not None:
            query["$or"] = [
                {field: {"$lt": cursor.value}},
                {field: cursor.value, "_id": {"$gt": cursor.candidate_id}},
            ]
        found = self._profiles.find(query, {OUTBOX: 0, PENDING: 0, "email": 0, "phone": 0, "contact": 0})
        documents = await found.sort([(field, DESCENDING), ("_id", ASCENDING)]).limit(limit).to_list()
        return [Profile.model_validate(d) for d in documents]


def _filter_query(filters: SearchFilters) -> dict[str, Any]:
    query: dict[str, Any] = {}
    simple = {
        "industries": filters.industry,
        "graduation_year": filters.graduation_year,
        "school": filters.school,
        "location": filters.location,
        "selection_progress.stage": filters.stage,
        "personality.result_type": filters.personality_type,
        "has_photo": filters.has_photo,
    }
    query.update({field: value for field, value in simple.items() if value is not None})
    if filters.active_since is not None:
        query["last_active_at"] = {"$gte": filters.active_since}
    return query


def _storable(document: dict[str, Any]) -> dict[str, Any]:
    """Dates of selection progress as ISO strings (BSON has datetimes, not dates)."""
    entries = document.get("selection_progress") or []
    document["selection_progress"] = [{**e, "date": e["date"].isoformat()} for e in entries]
    return document
