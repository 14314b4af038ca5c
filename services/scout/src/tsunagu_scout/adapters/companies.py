"""Companies (with their recruiters, plan and awaiting-slot counter) and scout templates."""

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import NOT_DELETED, new_document, with_events

from tsunagu_scout.domain.model import Company, Template

COMPANIES = "companies"
TEMPLATES = "templates"


class CompanyAlreadyExists(Exception):
    pass


def _company(document: dict[str, Any] | None) -> Company | None:
    return Company.model_validate({**document, "company_id": document["_id"]}) if document else None


class MongoCompanies:
    """A company is one document: recruiters embedded, so a recruiter change and its event are one write."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._companies = db[COMPANIES]
        self._templates = db[TEMPLATES]

    async def add(self, company: Company, *events: Envelope) -> None:
        document = {"_id": company.company_id, **company.model_dump(exclude={"company_id"})}
        try:
            await self._companies.insert_one(new_document(document, *events))
        except DuplicateKeyError as exc:
            raise CompanyAlreadyExists(company.company_id) from exc

    async def get(self, company_id: str) -> Company | None:
        return _company(await self._companies.find_one({"_id": company_id, **NOT_DELETED}))

    async def active(self) -> list[Company]:
        cursor = self._companies.find({"status": "active", **NOT_DELETED}, {"_outbox": 0})
        return [_company(d) for d in await cursor.to_list()]

    async def update(self, company_id: str, fields: dict[str, Any], *events: Envelope) -> Company | None:
        """Set fields on the company, with its events, in one write."""
        document = await self._companies.find_one_and_update(
            {"_id": company_id, **NOT_DELETED},
            with_events({"$set": fields}, *events),
            return_document=ReturnDocument.AFTER,
        )
        return _company(document)

    async def take_slot(self, company_id: str, max_awaiting: int) -> bool:
        """Hold one of the company's awaiting-answer slots, if one is free (atomic)."""
        taken = await self._companies.find_one_and_update(
            {"_id": company_id, "status": "active", "awaiting": {"$lt": max_awaiting}},
            {"$inc": {"awaiting": 1}},
            projection={"_id": 1},
        )
        return taken is not None

    async def free_slot(self, company_id: str) -> None:
        await self._companies.update_one({"_id": company_id, "awaiting": {"$gt": 0}}, {"$inc": {"awaiting": -1}})

    async def add_template(self, template: Template) -> None:
        await self._templates.insert_one({"_id": template.template_id, **template.model_dump()})

    async def template(self, company_id: str, template_id: str) -> Template | None:
        document = await self._templates.find_one({"_id": template_id, "company_id": company_id})
        return Template.model_validate(document) if document else None

    async def templates(self, company_id: str) -> list[Template]:
        cursor = self._templates.find({"company_id": company_id}).sort("created_at", -1)
        return [Template.model_validate(d) for d in await cursor.to_list()]
