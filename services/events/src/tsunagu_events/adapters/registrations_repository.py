"""Where registrations, check-ins and interests are stored: protocols and MongoDB.

Like the ledger, every fact here is an insert against a unique key (FerretDB 1.x
updates are not atomic under concurrency): one registration per student and event,
one check-in per registration (the code works once), one mark per side, one match.
"""

import hashlib
from datetime import datetime
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.conflicts import WriteConflict
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import NOT_DELETED, OUTBOX, new_document, outbox_collection, tombstone

from tsunagu_events.domain.model import Interest, Registration

REGISTRATIONS = "registrations"
CHECK_INS = "check_ins"
INTEREST_MARKS = "interest_marks"
MATCHES = "matches"


class RegistrationExists(WriteConflict):
    """This student already has a registration for this event."""


class RegistrationRepository(Protocol):
    async def add(self, registration: Registration) -> None: ...
    async def find(self, event_id: str, candidate_id: str) -> Registration | None: ...
    async def by_code(self, event_id: str, code: str) -> Registration | None: ...
    async def of_event(self, event_id: str) -> list[Registration]: ...
    async def of_candidate(self, candidate_id: str) -> list[Registration]: ...
    async def remove(self, registration_id: str) -> None: ...
    async def check_in(self, registration: Registration, now: datetime, *events: Envelope) -> bool: ...
    async def erase(self, registration_id: str) -> None: ...


class MongoRegistrationRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._registrations = db[REGISTRATIONS]
        self._check_ins = outbox_collection(db, CHECK_INS)

    async def ensure_indexes(self) -> None:
        # One registration per student per event, even when she taps "register" twice at once.
        await self._registrations.create_index([("event_id", 1), ("candidate_id", 1)], unique=True)
        await self._registrations.create_index("candidate_id")
        await self._check_ins.create_index("event_id")

    async def add(self, registration: Registration) -> None:
        document = {"_id": registration.registration_id, **registration.model_dump(exclude={"attended_at"})}
        try:
            await self._registrations.insert_one(new_document(document))
        except DuplicateKeyError as exc:
            raise RegistrationExists(registration.event_id) from exc

    async def find(self, event_id: str, candidate_id: str) -> Registration | None:
        return await self._with_attendance(
            await self._registrations.find_one({"event_id": event_id, "candidate_id": candidate_id}))

    async def by_code(self, event_id: str, code: str) -> Registration | None:
        return await self._with_attendance(
            await self._registrations.find_one({"event_id": event_id, "check_in_code": code}))

    async def of_event(self, event_id: str) -> list[Registration]:
        attended = {c["_id"]: c["attended_at"] async for c in self._check_ins.find({"event_id": event_id, **NOT_DELETED})}
        return [Registration.model_validate({**d, "attended_at": attended.get(d["_id"])})
                async for d in self._registrations.find({"event_id": event_id})]

    async def of_candidate(self, candidate_id: str) -> list[Registration]:
        return [Registration.model_validate(d) async for d in self._registrations.find({"candidate_id": candidate_id})]

    async def remove(self, registration_id: str) -> None:
        await self._registrations.delete_one({"_id": registration_id})

    async def check_in(self, registration: Registration, now: datetime, *events: Envelope) -> bool:
        """Record attendance once per registration: False when the code was already used."""
        document = {"_id": registration.registration_id, "event_id": registration.event_id,
                    "candidate_id": registration.candidate_id, "attended_at": now}
        try:
            await self._check_ins.insert_one(new_document(document, *events))
        except DuplicateKeyError:
            return False
        return True

    async def erase(self, registration_id: str) -> None:
        """Drop her registration (id, code) and its check-in."""
        await _erase(self._check_ins, {"_id": registration_id})
        await self._registrations.delete_one({"_id": registration_id})

    async def _with_attendance(self, document: dict | None) -> Registration | None:
        if document is None:
            return None
        check_in = await self._check_ins.find_one({"_id": document["_id"], **NOT_DELETED})
        return Registration.model_validate({**document, "attended_at": check_in and check_in["attended_at"]})


def interest_key(event_id: str, company_id: str, candidate_id: str) -> str:
    """A document id that does not spell out the student's id."""
    return hashlib.sha256(f"{event_id}\x00{company_id}\x00{candidate_id}".encode()).hexdigest()


class InterestRepository(Protocol):
    async def mark(self, interest: Interest, side: str, now: datetime) -> None: ...
    async def marked(self, interest: Interest, side: str) -> bool: ...
    async def record_match(self, interest: Interest, *events: Envelope) -> bool: ...
    async def matches(self, event_id: str, *, company_id: str | None = None,
                      candidate_id: str | None = None) -> list[Interest]: ...
    async def erase_candidate(self, candidate_id: str) -> None: ...


class MongoInterestRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._marks = db[INTEREST_MARKS]
        self._matches = outbox_collection(db, MATCHES)

    async def ensure_indexes(self) -> None:
        await self._marks.create_index("candidate_id")
        await self._matches.create_index("candidate_id")
        await self._matches.create_index([("event_id", 1), ("company_id", 1)])

    async def mark(self, interest: Interest, side: str, now: datetime) -> None:
        """Record one side's interest; marking twice changes nothing."""
        key = interest_key(interest.event_id, interest.company_id, interest.candidate_id)
        try:
            await self._marks.insert_one({"_id": f"{key}:{side}", **interest.model_dump(exclude={"matched_at"}),
                                          "side": side, "marked_at": now})
        except DuplicateKeyError:
            pass

    async def marked(self, interest: Interest, side: str) -> bool:
        key = interest_key(interest.event_id, interest.company_id, interest.candidate_id)
        return await self._marks.find_one({"_id": f"{key}:{side}"}) is not None

    async def record_match(self, interest: Interest, *events: Envelope) -> bool:
        """Store the match once: the insert that wins carries MutualInterestMatched."""
        key = interest_key(interest.event_id, interest.company_id, interest.candidate_id)
        try:
            await self._matches.insert_one(new_document({"_id": key, **interest.model_dump()}, *events))
        except DuplicateKeyError:
            return False
        return True

    async def matches(self, event_id: str, *, company_id: str | None = None,
                      candidate_id: str | None = None) -> list[Interest]:
        query: dict = {"event_id": event_id, **NOT_DELETED}
        if company_id:
            query["company_id"] = company_id
        if candidate_id:
            query["candidate_id"] = candidate_id
        return [Interest.model_validate(d) async for d in self._matches.find(query)]

    async def erase_candidate(self, candidate_id: str) -> None:
        await self._marks.delete_many({"candidate_id": candidate_id})
        await _erase(self._matches, {"candidate_id": candidate_id})


async def _erase(collection, query: dict) -> None:
    """Replace matching documents by tombstones: events not yet published still go out,
    then the relay removes the tombstone."""
    async for document in collection.find(query):
        pending = [Envelope.model_validate(e) for e in (document.get(OUTBOX) or {}).values()]
        if pending:
            await collection.replace_one({"_id": document["_id"]}, tombstone(document["_id"], *pending))
        else:
            await collection.delete_one({"_id": document["_id"]})
