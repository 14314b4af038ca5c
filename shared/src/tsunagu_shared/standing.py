"""May this recruiter act now? Her company's participation and her own account, as scout announced them.

A recruiter's token stays valid until it expires (an hour); what can change before then is
her standing: scout's admins suspend a company (or it leaves) and deactivate recruiters, and
publish CompanyStatusChanged and RecruiterChanged on scout.events. Every service keeps a
small view of the latest of each, by `_id` only (the document store scans on anything else),
and the shared auth layer asks it on every request of a recruiter (`auth.get_principal`):

- her company is known to be inactive (suspended or left): 403;
- she is known to be deactivated by her company: 403;
- not heard of yet: trusted on her signed token (each service adds its own stricter rules:
  scout, the source of the facts, requires a known active recruiter; profile a known company).

The window a refused person still gets through is the view's lag behind scout: the outbox
relay and the consumer, well under a second normally, as long as Kafka is away during an
outage (docs/architecture.md, "Who may act").
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.auth import Principal
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyStatusChanged, RecruiterChanged

COMPANIES = "standing_companies"
RECRUITERS = "standing_recruiters"

Handler = Callable[[Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Standing:
    """What a service knows of one recruiter: None where it has heard nothing yet."""

    company_status: str | None = None  # "active" or "inactive"
    company_change: str | None = None  # the change that made it so: suspended, left, ...
    recruiter_active: bool | None = None


def refusal(principal: Principal, standing: Standing) -> str | None:
    """Why this recruiter may not act now (the 403's detail), or None when she may."""
    if standing.company_status == "inactive":
        why = f" ({standing.company_change})" if standing.company_change else ""
        return f"company {principal.company_id} does not participate now{why}: its recruiters may not act"
    if standing.recruiter_active is False:
        return f"recruiter {principal.subject} was deactivated by company {principal.company_id}"
    return None


class StandingSource(Protocol):
    async def refusal(self, principal: Principal) -> str | None: ...


def recruiter_key(company_id: str, recruiter_id: str) -> str:
    """Recruiter ids are chosen per company (two companies may both have rec-1)."""
    return f"{company_id}/{recruiter_id}"


class StandingView:
    """The view of scout's company and recruiter changes a service keeps; the latest change wins,
    so a redelivered or late older event never undoes a newer one."""

    WATCHED = (CompanyStatusChanged.event_type, RecruiterChanged.event_type)

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._companies = db[COMPANIES]
        self._recruiters = db[RECRUITERS]

    def feeding(self, handle: Handler) -> Handler:
        """A consumer's handler that first keeps the view, then does what the service does with the event."""

        async def both(envelope: Envelope) -> None:
            await self.record(envelope)
            await handle(envelope)

        return both

    async def record(self, envelope: Envelope) -> None:
        if envelope.type not in self.WATCHED:
            return
        event = envelope.event()
        if isinstance(event, CompanyStatusChanged):
            await keep_newest(self._companies, event.company_id,
                               {"status": event.status, "change": event.change}, event.changed_at)
        elif isinstance(event, RecruiterChanged):
            await keep_newest(self._recruiters, recruiter_key(event.company_id, event.recruiter_id),
                               {"active": event.active}, event.changed_at)

    async def standing(self, *, company_id: str, recruiter_id: str) -> Standing:
        company, recruiter = await asyncio.gather(
            self._companies.find_one({"_id": company_id}),
            self._recruiters.find_one({"_id": recruiter_key(company_id, recruiter_id)}),
        )
        return Standing(
            company_status=company.get("status") if company else None,
            company_change=company.get("change") if company else None,
            recruiter_active=bool(recruiter.get("active")) if recruiter else None,
        )

    async def refusal(self, principal: Principal) -> str | None:
        standing = await self.standing(company_id=principal.company_id or "", recruiter_id=principal.subject)
        return refusal(principal, standing)


async def keep_newest(collection: AsyncCollection[Any], key: str, fields: dict[str, Any], changed_at: datetime) -> None:
    """Set `fields` on the document `key` unless it holds a newer change (by `changed_at`)."""
    newer = {"$or": [{"changed_at": {"$lte": changed_at}}, {"changed_at": {"$exists": False}}]}
    try:
        await collection.update_one({"_id": key, **newer}, {"$set": {**fields, "changed_at": changed_at}}, upsert=True)
    except DuplicateKeyError:
        pass  # a newer change is already kept
