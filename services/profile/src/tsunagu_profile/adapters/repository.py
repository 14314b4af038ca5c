"""Where profiles are stored: a small protocol and its MongoDB implementation."""

from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import NOT_DELETED, new_document, tombstone

from tsunagu_profile.domain.model import Profile

PROFILES = "profiles"


class ProfileAlreadyExists(Exception):
    pass


class ProfileRepository(Protocol):
    async def add(self, profile: Profile, *events: Envelope) -> None: ...
    async def get(self, candidate_id: str) -> Profile | None: ...
    async def delete(self, candidate_id: str, *events: Envelope) -> bool: ...


class MongoProfileRepository:
    """Each write carries its events in the same single-document write (the outbox)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._profiles = db[PROFILES]

    async def add(self, profile: Profile, *events: Envelope) -> None:
        document = {"_id": profile.candidate_id, **profile.model_dump()}
        try:
            await self._profiles.insert_one(new_document(document, *events))
        except DuplicateKeyError as exc:
            raise ProfileAlreadyExists(profile.candidate_id) from exc

    async def get(self, candidate_id: str) -> Profile | None:
        document = await self._profiles.find_one({"_id": candidate_id, **NOT_DELETED})
        return Profile.model_validate(document) if document else None

    async def delete(self, candidate_id: str, *events: Envelope) -> bool:
        result = await self._profiles.replace_one(
            {"_id": candidate_id, **NOT_DELETED}, tombstone(candidate_id, *events)
        )
        return result.matched_count == 1
