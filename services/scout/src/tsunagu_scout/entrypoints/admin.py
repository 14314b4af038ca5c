"""Admin endpoints: companies, their plans, participation status and recruiters."""

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from tsunagu_shared.auth import AdminUser

from tsunagu_scout.domain.model import Company, Plan, Recruiter
from tsunagu_scout.entrypoints.deps import ContainerDep

router = APIRouter(prefix="/admin/companies", tags=["admin"])


class CompanyCreate(BaseModel):
    company_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    plan: Plan
    industries: list[str] = Field(default_factory=list, max_length=20)
    location: str | None = Field(default=None, max_length=100)
    scouts_for: list[str] = Field(default_factory=list, max_length=20)


class StatusChange(BaseModel):
    change: Literal["left", "suspended", "reactivated"]


class RecruiterPut(BaseModel):
    display_name: str = Field(min_length=1, max_length=100)
    active: bool = True


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
