"""Where profiles are stored: a small protocol and its MongoDB implementation.

Writes and reads by id only: recruiter search reads the profiles index (adapters/search_index.py)."""

from collections.abc import AsyncIterator
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from tsunagu_shared.conflicts import WriteConflict
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import (
    NOT_DELETED,
    OUTBOX,
    PENDING,
    TOMBSTONE,
    new_document,
    outbox_collection,
    tombstone,
    with_events,
)

from tsunagu_profile.domain.model import Profile

PROFILES = "profiles"


class ProfileAlreadyExists(Exception):
    pass


class ConcurrentUpdate(WriteConflict):
    """Another write changed the profile since it was read."""


class ProfileRepository(Protocol):
    async def add(self, profile: Profile, *events: Envelope) -> None: ...
    async def get(self, candidate_id: str) -> Profile | None: ...
    async def save(self, profile: Profile, *, expected_version: int, events: list[Envelope]) -> None: ...
    async def delete(self, candidate_id: str, *events: Envelope) -> bool: ...
    def every_profile(self, *, batch_size: int) -> AsyncIterator[tuple[str, Profile | None]]: ...


class MongoProfileRepository:
    """Each write carries its events in the same single-document write (the outbox)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._profiles = outbox_collection(db, PROFILES)

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

    async def every_profile(self, *, batch_size: int) -> AsyncIterator[tuple[str, Profile | None]]:
        """Every stored profile in one pass, in no particular order (a sorted or ranged read
        decodes the whole collection on FerretDB at each page): each id with its profile, or
        None where she was erased and her last events are not published yet."""
        async for document in self._profiles.find({}, {OUTBOX: 0, PENDING: 0}).batch_size(batch_size):
            yield document["_id"], None if document.get(TOMBSTONE) else Profile.model_validate(document)


def _storable(document: dict[str, Any]) -> dict[str, Any]:
    """Dates of selection progress as ISO strings (BSON has datetimes, not dates)."""
    entries = document.get("selection_progress") or []
    document["selection_progress"] = [{**e, "date": e["date"].isoformat()} for e in entries]
    return document
