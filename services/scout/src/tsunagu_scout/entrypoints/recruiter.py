"""Recruiter endpoints: send scouts, templates, her company's quota and "please scout me" signals."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from tsunagu_shared.search_http import NEXT_CURSOR

from tsunagu_scout.domain.model import Scout, ScoutState, Template
from tsunagu_scout.entrypoints.deps import ActiveRecruiter, ContainerDep
from tsunagu_scout.entrypoints.schemas import ScoutCreate, TemplateCreate

router = APIRouter(tags=["recruiters"])


@router.post("/scouts", status_code=status.HTTP_201_CREATED, response_model=Scout)
async def send_scout(body: ScoutCreate, recruiter: ActiveRecruiter, container: ContainerDep):
    """Send a scout (publishes ScoutSent). 422 for a bad reason or template (a reason must refer to something
    of hers, or `what_in_her_profile` must say what: the detail names what is missing); 404 for an unknown student;
    409 when the quota is spent, too many scouts await answers, or she blocked, declined (cooldown),
    did not answer (cooldown), already has a scout awaiting, or has an open thread with you."""
    company, me = recruiter
    return await container.scouting.send(company, me, **body.model_dump())


@router.get("/scouts/sent", response_model=list[Scout])
async def sent_scouts(recruiter: ActiveRecruiter, container: ContainerDep, response: Response,
                      state: ScoutState | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      cursor: Annotated[str | None, Query(max_length=500)] = None):
    """Your company's scouts, newest first, optionally in one state. A page of `limit`; when more
    follow, the `X-Next-Cursor` header holds the `cursor` of the next page. A scout you just sent is
    in it at once; others' changes within about a second. 503 while the search engine is away."""
    company, _ = recruiter
    scouts, next_cursor = await container.scouting.sent(company.company_id, state=state, cursor=cursor, limit=limit)
    if next_cursor:
        response.headers[NEXT_CURSOR] = next_cursor
    return scouts


@router.get("/companies/me")
async def my_company(recruiter: ActiveRecruiter, container: ContainerDep) -> dict:
    """Your company's plan, this month's quota use and how many scouts await an answer."""
    company, _ = recruiter
    return {"company_id": company.company_id, "name": company.name, "plan": company.plan.model_dump(),
            **await container.scouting.usage(company)}


@router.get("/companies/me/signals")
async def my_signals(recruiter: ActiveRecruiter, container: ContainerDep) -> list[dict]:
    """Students who asked your company to scout them ("please scout me"), newest first."""
    company, _ = recruiter
    return await container.recommendations.signals(company.company_id)


@router.post("/templates", status_code=status.HTTP_201_CREATED, response_model=Template)
async def create_template(body: TemplateCreate, recruiter: ActiveRecruiter, container: ContainerDep):
    """A scout or campaign message template of your company."""
    company, _ = recruiter
    return await container.companies.add_template(company, **body.model_dump())


@router.get("/templates", response_model=list[Template])
async def list_templates(recruiter: ActiveRecruiter, container: ContainerDep):
    """Your company's templates."""
    company, _ = recruiter
    return await container.companies.templates(company)
