"""Where registrations, check-ins and interests are stored: protocols and MongoDB.

Like the ledger, every fact here is an insert against a unique key (FerretDB 1.x
updates are not atomic under concurrency): one registration per student and event,
one check-in per registration (the code works once), one mark per side, one match.
"""

import asyncio
import hashlib
from datetime import datetime
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from tsunagu_shared.conflicts import WriteConflict
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.numbered import NumberedList
from tsunagu_shared.outbox import NOT_DELETED, OUTBOX, new_document, outbox_collection, tombstone

from tsunagu_events.domain.model import Event, Interest, Registration

REGISTRATIONS = "registrations"
# check-in codes and each student's list of registrations, by `_id` (apart from the registrations:
# their old unique index on event and student would refuse these documents)
REGISTRATION_KEYS = "registration_keys"
CHECK_INS = "check_ins"
INTEREST_MARKS = "interest_marks"
MATCHES = "matches"


class RegistrationExists(WriteConflict):
    """This student already has a registration for this event."""


class RegistrationRepository(Protocol):
    async def add(self, registration: Registration) -> None: ...
    async def find(self, event_id: str, candidate_id: str) -> Registration | None: ...
    async def by_code(self, event_id: str, code: str) -> Registration | None: ...
    async def of_event(self, event: Event) -> list[Registration]: ...
    async def of_candidate(self, candidate_id: str) -> list[Registration]: ...
    async def remove(self, registration: Registration) -> None: ...
    async def check_in(self, registration: Registration, now: datetime, *events: Envelope) -> bool: ...
    async def erase(self, registration: Registration) -> None: ...
    async def forget(self, candidate_id: str) -> None: ...


class MongoRegistrationRepository:
    """Every document is addressed by `_id` (FerretDB decodes the whole collection for any other
    filter, and registrations grow with the season):
    - a registration is stored under its student and event (`_key`): the insert that wins is the
      one registration, even when she taps "register" twice at once;
    - its check-in code points to it (`code:<hash>`), written first: a crash leaves a code that
      finds nothing;
    - her registrations are listed (`tsunagu_shared.numbered`, `her:<hash of her id>#<n>`),
      written first too: a crash leaves an entry whose registration is missing.
    An event's registrations are its ledger's seat and waitlist holders, read one by one."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._registrations = db[REGISTRATIONS]
        self._keys = db[REGISTRATION_KEYS]
        self._check_ins = outbox_collection(db, CHECK_INS)

    async def ensure_indexes(self) -> None:
        """Nothing beyond `_id`."""

    async def add(self, registration: Registration) -> None:
        key = _key(registration.event_id, registration.candidate_id)
        await self._keys.update_one({"_id": _code(registration.event_id, registration.check_in_code)},
                                    {"$set": {"key": key}}, upsert=True)
        await self._hers(registration.candidate_id).append(key, once=True)
        document = {"_id": key, **registration.model_dump(exclude={"attended_at"})}
        try:
            await self._registrations.insert_one(new_document(document))
        except DuplicateKeyError as exc:
            raise RegistrationExists(registration.event_id) from exc

    async def find(self, event_id: str, candidate_id: str) -> Registration | None:
        return await self._with_attendance(await self._registrations.find_one({"_id": _key(event_id, candidate_id)}))

    async def by_code(self, event_id: str, code: str) -> Registration | None:
        pointer = await self._keys.find_one({"_id": _code(event_id, code)})
        if pointer is None:
            return None
        document = await self._registrations.find_one({"_id": pointer["key"], "check_in_code": code})
        return await self._with_attendance(document)

    async def of_event(self, event: Event) -> list[Registration]:
        """The registrations of those holding a seat or a waitlist place."""
        holders = [s.candidate_id for s in event.seats.values()] + [w.candidate_id for w in event.waitlist.values()]
        found = await asyncio.gather(*(self.find(event.event_id, c) for c in holders))
        return [r for r in found if r is not None]

    async def of_candidate(self, candidate_id: str) -> list[Registration]:
        keys = dict.fromkeys(await self._hers(candidate_id).read())
        found = [await self._registrations.find_one({"_id": k}) for k in keys]
        return [Registration.model_validate(d) for d in found if d is not None and d["candidate_id"] == candidate_id]

    async def remove(self, registration: Registration) -> None:
        await self._keys.delete_one({"_id": _code(registration.event_id, registration.check_in_code)})
        await self._registrations.delete_one({"_id": _key(registration.event_id, registration.candidate_id),
                                              "registration_id": registration.registration_id})

    async def check_in(self, registration: Registration, now: datetime, *events: Envelope) -> bool:
        """Record attendance once per registration: False when the code was already used."""
        document = {"_id": registration.registration_id, "event_id": registration.event_id,
                    "candidate_id": registration.candidate_id, "attended_at": now}
        try:
            await self._check_ins.insert_one(new_document(document, *events))
        except DuplicateKeyError:
            return False
        return True

    async def erase(self, registration: Registration) -> None:
        """Drop her registration (id, code) and its check-in."""
        await _erase(self._check_ins, registration.registration_id)
        await self.remove(registration)

    async def forget(self, candidate_id: str) -> None:
        """Drop the list of her registrations (after each was erased)."""
        await self._hers(candidate_id).drop()

    def _hers(self, candidate_id: str) -> NumberedList:
        return NumberedList(self._keys, f"her:{_digest(candidate_id)}")

    async def _with_attendance(self, document: dict | None) -> Registration | None:
        if document is None:
            return None
        check_in = await self._check_ins.find_one({"_id": document["registration_id"], **NOT_DELETED})
        return Registration.model_validate({**document, "attended_at": check_in and check_in["attended_at"]})


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _key(event_id: str, candidate_id: str) -> str:
    """A registration's `_id`, which does not spell out the student's id."""
    return _digest(event_id, candidate_id)


def _code(event_id: str, code: str) -> str:
    return f"code:{_digest(event_id, code)}"


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
        for document in await self._matches.find({"candidate_id": candidate_id}, {"_id": 1}).to_list():
            await _erase(self._matches, document["_id"])


async def _erase(collection, document_id: str) -> None:
    """Replace the document by a tombstone: events not yet published still go out, then the
    relay removes the tombstone."""
    document = await collection.find_one({"_id": document_id})
    if document is not None:
        pending = [Envelope.model_validate(e) for e in (document.get(OUTBOX) or {}).values()]
        if pending:
            await collection.replace_one({"_id": document["_id"]}, tombstone(document["_id"], *pending))
        else:
            await collection.delete_one({"_id": document["_id"]})
