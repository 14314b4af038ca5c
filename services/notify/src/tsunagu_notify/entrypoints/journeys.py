"""Journeys seen from outside: her steps, survey answers (for segments), and segment sends."""

import uuid
from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal

from tsunagu_notify.domain.journeys.definitions import SegmentFilter
from tsunagu_notify.entrypoints.access import herself_or_admin
from tsunagu_notify.entrypoints.container import ContainerDep
from tsunagu_notify.handlers.segment_sends import SenderUnknown, SendIdTaken

router = APIRouter(tags=["journeys"])


class StepPublic(BaseModel):
    sequence: str
    step: str
    template: str
    instance: str
    company_id: str | None
    due_at: datetime = Field(description="when it fires (a late step caught up fires when it was planned)")
    scheduled_for: datetime | None = Field(None, description="the moment its offset names")
    status: str = Field(description="pending, claimed, fired, skipped (left the segment), stopped (goal) "
                                    "or missed (already past when planned, and not the one caught up)")
    stopped_by: str | None = None


class SurveyAnswer(BaseModel):
    answer: str = Field(min_length=1, max_length=200)


class SegmentSendCreate(BaseModel):
    segment: SegmentFilter
    message: str = Field(min_length=1, max_length=1000)
    # Admins may send for a company or for the platform; a recruiter always sends for her own company.
    company_id: str | None = None
    company_name: str | None = Field(
        None, min_length=1, max_length=100,
        description="the sender's name of a platform send (admins, no company_id; default Tsunagu). A company's "
                    "send always carries its registered name: setting this with a company answers 422")
    send_id: str | None = Field(None, max_length=64, description="idempotency key; a repeat of the same send adds "
                                "nobody twice, the id of another send answers 409")


class SegmentSendPublic(BaseModel):
    send_id: str
    requested: int


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
    if principal.role == "recruiter":
        if body.company_id not in (None, principal.company_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="company_id: not your company")
        company_id = principal.company_id
    elif principal.role == "admin":
        company_id = body.company_id
    else:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {principal.role} may not send to segments")
    if company_id is not None and body.company_name is not None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=[{
            "loc": ["body", "company_name"], "type": "value_error",
            "msg": "a company's send carries its registered name; company_name names only a platform send"}])
    send_id = body.send_id or str(uuid.uuid4())
    try:
        requested = await container.segments.send(send_id=send_id, segment=body.segment, company_id=company_id,
                                                  platform_name=body.company_name or "Tsunagu", message=body.message,
                                                  now=container.clock.now())
    except SendIdTaken:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            detail=f"send_id: {send_id} already names another send; choose another id") from None
    except SenderUnknown:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"company_id: notify has not yet heard of company "
                            f"{company_id} (its registered name); try again shortly") from None
    return SegmentSendPublic(send_id=send_id, requested=requested)
