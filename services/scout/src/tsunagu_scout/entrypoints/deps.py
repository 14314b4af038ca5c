"""Dependencies shared by the routers: the container and the calling recruiter's company."""

from typing import Annotated

from fastapi import Depends
from tsunagu_shared.auth import RecruiterUser
from tsunagu_shared.containers import container_of

from tsunagu_scout.bootstrap import Container
from tsunagu_scout.domain.model import Company, Recruiter

ContainerDep = Annotated[Container, Depends(container_of(Container))]


async def get_recruiter(user: RecruiterUser, container: ContainerDep) -> tuple[Company, Recruiter]:
    """An active recruiter of an active company (her token's company_id, checked against our companies)."""
    return await container.companies.recruiter_company(company_id=user.company_id, recruiter_id=user.subject)


ActiveRecruiter = Annotated[tuple[Company, Recruiter], Depends(get_recruiter)]
