"""Journeys seen from outside: her steps, survey answers (for segments), and segment sends."""

import uuid

from fastapi import APIRouter, status
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal

from tsunagu_notify.domain.senders import sending_company
from tsunagu_notify.entrypoints.access import herself_or_admin
from tsunagu_notify.entrypoints.container import ContainerDep
from tsunagu_notify.entrypoints.schemas import SegmentSendCreate, SegmentSendPublic, StepPublic, SurveyAnswer

router = APIRouter(tags=["journeys"])


@router.get("/recipients/{recipient_id}/journeys", response_model=list[StepPublic])
async def journeys_of(recipient_id: str, principal: CurrentPrincipal, container: ContainerDep):
    """Her scheduled, fired, stopped and missed sequence steps, by due time (herself or an admin; others 404)."""
    herself_or_admin(principal, recipient_id)
    return await container.journeys.of(recipient_id)


@router.put("/recipients/{recipient_id}/survey-answers/{question_id}", status_code=status.HTTP_204_NO_CONTENT)
async def answer_survey(recipient_id: str, question_id: str, body: SurveyAnswer, principal: CandidateUser,
                        container: ContainerDep) -> None:
    """She answers a survey question (segments can select on it); a new answer replaces the old one."""
    herself_or_admin(principal, recipient_id)
    await container.journeys.answer(recipient_id, question_id, body.answer, container.clock.now())


@router.post("/segment-sends", response_model=SegmentSendPublic, status_code=status.HTTP_202_ACCEPTED)
async def send_to_segment(body: SegmentSendCreate, principal: CurrentPrincipal, container: ContainerDep):
    """Send one message to a segment (admins and recruiters): one intent per person, each through the policy
    (caps, quiet hours, opt-outs). Recruiters send only as their own company, under its registered name.
    409 when `send_id` already names another send, or notify has not yet heard of the company."""
    company_id = sending_company(principal.role, principal.company_id, body.company_id, body.company_name)
    send_id = body.send_id or str(uuid.uuid4())
    requested = await container.segments.send(send_id=send_id, segment=body.segment, company_id=company_id,
                                              platform_name=body.company_name or "Tsunagu", message=body.message,
                                              now=container.clock.now())
    return SegmentSendPublic(send_id=send_id, requested=requested)
