"""Admin management of companies, plans and recruiters; recruiters' templates and company view."""

from dataclasses import dataclass
from uuid import uuid4

from tsunagu_scout.adapters.companies import CompanyAlreadyExists, CompanyRepository
from tsunagu_scout.domain.model import Company, Plan, Recruiter, Template
from tsunagu_scout.handlers.errors import Conflict, Forbidden, Invalid, NotFound
from tsunagu_shared.auth import Principal
from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyStatusChanged, RecruiterChanged
from tsunagu_shared.standing import Standing, refusal

SOURCE = "tsunagu/scout"


@dataclass
class CompanyHandlers:
    companies: CompanyRepository
    clock: Clock

    def _status_event(self, company: Company, change: str) -> Envelope:
        event = CompanyStatusChanged(
            company_id=company.company_id, name=company.name, status=company.status, change=change,
            plan=company.plan.name, changed_at=self.clock.now(),
        )
        return Envelope.wrap(event, source=SOURCE)

    async def join(self, *, company_id: str | None, name: str, plan: Plan, industries: list[str],
                   location: str | None, scouts_for: list[str]) -> Company:
        """A company joins the platform, active, with its plan (CompanyStatusChanged joined)."""
        now = self.clock.now()
        company = Company(
            company_id=company_id or f"co_{uuid4().hex[:12]}", name=name, status="active", plan=plan,
            industries=industries, location=location, scouts_for=scouts_for, joined_at=now, updated_at=now,
        )
        try:
            await self.companies.add(company, self._status_event(company, "joined"))
        except CompanyAlreadyExists:
            raise Conflict(f"company_id: company {company.company_id} already exists") from None
        return company

    async def get(self, company_id: str) -> Company:
        company = await self.companies.get(company_id)
        if company is None:
            raise NotFound(f"no company {company_id}")
        return company

    async def change_plan(self, company_id: str, plan: Plan) -> Company:
        """A new plan takes effect at once for quotas and the awaiting limit (CompanyStatusChanged plan_changed)."""
        company = (await self.get(company_id)).model_copy(update={"plan": plan})
        return await self._save(company, {"plan": plan.model_dump(), "updated_at": self.clock.now()}, "plan_changed")

    async def change_status(self, company_id: str, change: str) -> Company:
        """left / suspended make the company inactive (recruiters lose access); reactivated brings it back."""
        status = "active" if change == "reactivated" else "inactive"
        company = (await self.get(company_id)).model_copy(update={"status": status})
        return await self._save(company, {"status": status, "updated_at": self.clock.now()}, change)

    async def _save(self, company: Company, fields: dict, change: str) -> Company:
        saved = await self.companies.update(company.company_id, fields, self._status_event(company, change))
        if saved is None:
            raise NotFound(f"no company {company.company_id}")
        return saved

    async def put_recruiter(self, company_id: str, recruiter_id: str, *, display_name: str, active: bool) -> Recruiter:
        """Add, rename, activate or deactivate a recruiter of a company (RecruiterChanged)."""
        await self.get(company_id)
        recruiter = Recruiter(recruiter_id=recruiter_id, display_name=display_name, active=active)
        event = RecruiterChanged(recruiter_id=recruiter_id, company_id=company_id, display_name=display_name,
                                 active=active, changed_at=self.clock.now())
        await self.companies.update(
            company_id, {f"recruiters.{recruiter_id}": recruiter.model_dump(), "updated_at": self.clock.now()},
            Envelope.wrap(event, source=SOURCE),
        )
        return recruiter

    async def recruiter_company(self, *, company_id: str | None, recruiter_id: str) -> tuple[Company, Recruiter]:
        """The caller's company, when she is an active recruiter of an active company (403 otherwise)."""
        company = await self.companies.get(company_id or "")
        recruiter = company.active_recruiter(recruiter_id) if company else None
        if company is None or recruiter is None:
            raise Forbidden("you are not an active recruiter of a participating company")
        return company, recruiter

    async def refusal(self, principal: Principal) -> str | None:
        """The shared auth layer's question (tsunagu_shared.standing), answered from scout's own companies."""
        company = await self.companies.get(principal.company_id or "")
        if company is None:
            return None  # the recruiter routes refuse her anyway: no company to act for
        recruiter = company.recruiters.get(principal.subject)
        return refusal(principal, Standing(company_status=company.status,
                                           recruiter_active=recruiter.active if recruiter else None))

    async def add_template(self, company: Company, *, name: str, body: str) -> Template:
        template = Template(template_id=f"tpl_{uuid4().hex[:12]}", company_id=company.company_id, name=name,
                            body=body, created_at=self.clock.now())
        await self.companies.add_template(template)
        return template

    async def templates(self, company: Company) -> list[Template]:
        return await self.companies.templates(company.company_id)

    async def check_template(self, company: Company, template_id: str) -> None:
        """A message template a campaign may name: one of her company's (422 naming the field otherwise)."""
        if await self.companies.template(company.company_id, template_id) is None:
            raise Invalid(f"template_id: no template {template_id} in your company")
