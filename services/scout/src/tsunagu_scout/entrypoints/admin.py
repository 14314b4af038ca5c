"""Admin endpoints: companies, their plans, participation status and recruiters."""

from fastapi import APIRouter, status
from tsunagu_shared.auth import AdminUser

from tsunagu_scout.domain.model import Company, Plan, Recruiter
from tsunagu_scout.entrypoints.deps import ContainerDep
from tsunagu_scout.entrypoints.schemas import CompanyCreate, RecruiterPut, StatusChange

router = APIRouter(prefix="/admin/companies", tags=["admin"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Company)
async def create_company(body: CompanyCreate, admin: AdminUser, container: ContainerDep):
    """A company joins (active) with its plan; publishes CompanyStatusChanged(joined)."""
    return await container.companies.join(**body.model_dump())


@router.get("/{company_id}", response_model=Company)
async def read_company(company_id: str, admin: AdminUser, container: ContainerDep):
    """A company with its recruiters, plan and awaiting-answer count."""
    return await container.companies.get(company_id)


@router.put("/{company_id}/plan", response_model=Company)
async def change_plan(company_id: str, body: Plan, admin: AdminUser, container: ContainerDep):
    """Change the plan (quota per tier, awaiting limit); publishes CompanyStatusChanged(plan_changed)."""
    return await container.companies.change_plan(company_id, body)


@router.post("/{company_id}/status", response_model=Company)
async def change_status(company_id: str, body: StatusChange, admin: AdminUser, container: ContainerDep):
    """The company leaves, is suspended or is reactivated; publishes CompanyStatusChanged."""
    return await container.companies.change_status(company_id, body.change)


@router.put("/{company_id}/recruiters/{recruiter_id}", response_model=Recruiter)
async def put_recruiter(company_id: str, recruiter_id: str, body: RecruiterPut, admin: AdminUser,
                        container: ContainerDep):
    """Add or change a recruiter (deactivate with active=false); publishes RecruiterChanged."""
    return await container.companies.put_recruiter(company_id, recruiter_id, **body.model_dump())
