"""The company directory: which companies participate and which recruiters they have,
kept from CompanyStatusChanged and RecruiterChanged (scout.events)."""

import asyncio
from datetime import datetime
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase
from tsunagu_shared.standing import keep_newest

from tsunagu_profile.domain.visibility import RecruiterStanding

COMPANIES = "companies"
RECRUITERS = "recruiters"


class CompanyDirectory(Protocol):
    async def record_company(self, *, company_id: str, name: str, status: str, changed_at: datetime) -> None: ...
    async def record_recruiter(
        self, *, recruiter_id: str, company_id: str, active: bool, changed_at: datetime
    ) -> None: ...
    async def standing(self, *, recruiter_id: str, company_id: str) -> RecruiterStanding: ...


class MongoCompanyDirectory:
    """Latest change wins: an older event arriving late never overwrites a newer one."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._companies = db[COMPANIES]
        self._recruiters = db[RECRUITERS]

    async def record_company(self, *, company_id: str, name: str, status: str, changed_at: datetime) -> None:
        await keep_newest(self._companies, company_id, {"name": name, "status": status}, changed_at)

    async def record_recruiter(
        self, *, recruiter_id: str, company_id: str, active: bool, changed_at: datetime
    ) -> None:
        fields = {"company_id": company_id, "active": active}
        await keep_newest(self._recruiters, recruiter_id, fields, changed_at)

    async def standing(self, *, recruiter_id: str, company_id: str) -> RecruiterStanding:
        # side by side: every search and profile read waits for both
        company, recruiter = await asyncio.gather(
            self._companies.find_one({"_id": company_id}, {"status": 1}),
            self._recruiters.find_one({"_id": recruiter_id}, {"company_id": 1, "active": 1}),
        )
        return RecruiterStanding(
            company_active=bool(company and company.get("status") == "active"),
            recruiter_known=recruiter is not None,
            recruiter_active=bool(recruiter and recruiter.get("active")),
            recruiter_company_id=recruiter.get("company_id") if recruiter else None,
        )

