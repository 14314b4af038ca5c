"""Companies (with their recruiters and plan) and scout templates."""

from typing import Any, Protocol
from uuid import uuid4

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import NOT_DELETED, new_document, outbox_collection

from tsunagu_scout.domain.model import Company, Template

COMPANIES = "companies"
COMPANY_CHANGES = "company_changes"
TEMPLATES = "templates"


class CompanyAlreadyExists(Exception):
    pass


def _company(document: dict[str, Any] | None) -> Company | None:
    return Company.model_validate({**document, "company_id": document["_id"]}) if document else None


class CompanyRepository(Protocol):
    """What the handlers need of the companies, their recruiters and templates."""

    async def add(self, company: Company, *events: Envelope) -> None: ...
    async def get(self, company_id: str) -> Company | None: ...
    async def active(self) -> list[Company]: ...
    async def update(self, company_id: str, fields: dict[str, Any], *events: Envelope) -> Company | None: ...
    async def add_template(self, template: Template) -> None: ...
    async def template(self, company_id: str, template_id: str) -> Template | None: ...
    async def templates(self, company_id: str) -> list[Template]: ...


class MongoCompanies:
    """A company is one document: recruiters embedded, so a recruiter change and its event are one write."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._companies = db[COMPANIES]
        self._changes = outbox_collection(db, COMPANY_CHANGES)
        self._templates = db[TEMPLATES]

    async def add(self, company: Company, *events: Envelope) -> None:
        document = {"_id": company.company_id, **company.model_dump(exclude={"company_id"})}
        try:
            await self._companies.insert_one(document)
        except DuplicateKeyError as exc:
            raise CompanyAlreadyExists(company.company_id) from exc
        await self._record(company.company_id, document, *events)

    async def _record(self, company_id: str, fields: dict[str, Any], *events: Envelope) -> None:
        """The change and its events as one new document (the outbox lives here, not in the company)."""
        change = {"_id": f"chg_{uuid4().hex}", "company_id": company_id,
                  "set": [{"path": k, "value": v} for k, v in fields.items()]}
        await self._changes.insert_one(new_document(change, *events))

    async def get(self, company_id: str) -> Company | None:
        return _company(await self._companies.find_one({"_id": company_id, **NOT_DELETED}))

    async def active(self) -> list[Company]:
        cursor = self._companies.find({"status": "active", **NOT_DELETED}, {"_outbox": 0})
        return [_company(d) for d in await cursor.to_list()]

    async def update(self, company_id: str, fields: dict[str, Any], *events: Envelope) -> Company | None:
        """Set fields on the company and record the change with its events.

        FerretDB 1.x applies concurrent updates of one document as read-modify-write (measured:
        50 concurrent $inc on one document left 20), so the outbox relay clearing an event could
        undo a write to the same document: the company document carries no outbox; each change
        is an inserted change document that does. The change is recorded first, so a crash
        between the two writes leaves a published change a retry re-applies ($set is idempotent)."""
        if await self._companies.find_one({"_id": company_id}, {"_id": 1}) is None:
            return None
        await self._record(company_id, fields, *events)
        await self._companies.update_one({"_id": company_id}, {"$set": fields})
        return _company(await self._companies.find_one({"_id": company_id}))

    async def add_template(self, template: Template) -> None:
        await self._templates.insert_one({"_id": template.template_id, **template.model_dump()})

    async def template(self, company_id: str, template_id: str) -> Template | None:
        document = await self._templates.find_one({"_id": template_id, "company_id": company_id})
        return Template.model_validate(document) if document else None

    async def templates(self, company_id: str) -> list[Template]:
        cursor = self._templates.find({"company_id": company_id}).sort("created_at", -1)
        return [Template.model_validate(d) for d in await cursor.to_list()]
