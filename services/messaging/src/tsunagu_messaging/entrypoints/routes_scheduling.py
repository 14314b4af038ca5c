"""Routes for interviews and offers inside a thread (same access rule as threads: 404 to strangers)."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal, RecruiterUser
from tsunagu_shared.containers import container_of

from tsunagu_messaging.bootstrap import Container
from tsunagu_messaging.entrypoints.schemas import (
    InterviewCreate,
    InterviewPublic,
    NewSlots,
    Note,
    OfferCreate,
    OfferDecline,
    OfferPublic,
    SlotChoice,
)
from tsunagu_messaging.handlers import Scheduling

router = APIRouter(tags=["interviews and offers"])


def get_scheduling(container: Annotated[Container, Depends(container_of(Container))]) -> Scheduling:
    return container.scheduling


Handlers = Annotated[Scheduling, Depends(get_scheduling)]


@router.post("/threads/{thread_id}/interviews", status_code=status.HTTP_201_CREATED, response_model=InterviewPublic)
async def propose_interview(thread_id: str, body: InterviewCreate, user: RecruiterUser, handlers: Handlers):
    """The company proposes interview times (each with its UTC offset), shown to the student in her zone,
    and a deadline to pick one (`respond_by`, default 3 days, never after the last time): InterviewSlotsProposed,
    which drives her reminders until she picks. 409 when a time or the deadline is in the past."""
    return InterviewPublic.of(await handlers.propose_interview(user, thread_id, slots=body.slots,
                                                               location=body.location, respond_by=body.respond_by))


@router.get("/threads/{thread_id}/interviews", response_model=list[InterviewPublic])
async def list_interviews(thread_id: str, user: CurrentPrincipal, handlers: Handlers):
    """The interviews of a thread, times in UTC and in the student's zone."""
    return [InterviewPublic.of(i) for i in await handlers.list_interviews(user, thread_id)]


@router.post("/interviews/{interview_id}/choose", response_model=InterviewPublic)
async def choose_slot(interview_id: str, body: SlotChoice, user: CandidateUser, handlers: Handlers):
    """The student picks a proposed time: InterviewScheduled (UTC and her zone)."""
    return InterviewPublic.of(await handlers.choose_slot(user, interview_id, slot_id=body.slot_id,
                                                         time_zone=body.time_zone))


@router.post("/interviews/{interview_id}/request-other-times", response_model=InterviewPublic)
async def request_other_times(interview_id: str, body: Note, user: CandidateUser, handlers: Handlers):
    """The student asks for other times: her answer to a proposal (InterviewTimesRequested, which ends its
    reminders); on a scheduled interview this is a reschedule request (InterviewRescheduled)."""
    return InterviewPublic.of(await handlers.request_other_times(user, interview_id, note=body.note))


@router.post("/interviews/{interview_id}/slots", response_model=InterviewPublic)
async def propose_new_slots(interview_id: str, body: NewSlots, user: RecruiterUser, handlers: Handlers):
    """The company offers new times with a new deadline to pick one (InterviewSlotsProposed, replacing the
    earlier request); on a scheduled interview this reschedules it (InterviewRescheduled too)."""
    return InterviewPublic.of(await handlers.propose_new_slots(user, interview_id, slots=body.slots,
                                                               note=body.note, respond_by=body.respond_by))


@router.post("/interviews/{interview_id}/cancel", response_model=InterviewPublic)
async def cancel_interview(interview_id: str, body: Note, user: CurrentPrincipal, handlers: Handlers):
    """Either side cancels the interview (InterviewCancelled)."""
    return InterviewPublic.of(await handlers.cancel_interview(user, interview_id, reason=body.note))


@router.post("/threads/{thread_id}/offers", status_code=status.HTTP_201_CREATED, response_model=OfferPublic)
async def issue_offer(thread_id: str, body: OfferCreate, user: RecruiterUser, handlers: Handlers):
    """The company issues an offer with terms and a response deadline (OfferIssued).
    409 while the thread already has an open offer."""
    offer = await handlers.issue_offer(user, thread_id, terms=body.terms, respond_by=body.respond_by)
    return OfferPublic.of(offer, now=handlers.clock.now())


@router.get("/threads/{thread_id}/offers", response_model=list[OfferPublic])
async def list_offers(thread_id: str, user: CurrentPrincipal, handlers: Handlers):
    """The offers of a thread; an open offer past its deadline shows as `expired`."""
    now = handlers.clock.now()
    return [OfferPublic.of(o, now=now) for o in await handlers.list_offers(user, thread_id)]


@router.post("/offers/{offer_id}/accept", response_model=OfferPublic)
async def accept_offer(offer_id: str, user: CandidateUser, handlers: Handlers):
    """The student accepts (OfferAccepted); 409 after a decline or past the deadline."""
    return OfferPublic.of(await handlers.accept_offer(user, offer_id), now=handlers.clock.now())


@router.post("/offers/{offer_id}/decline", response_model=OfferPublic)
async def decline_offer(offer_id: str, body: OfferDecline, user: CandidateUser, handlers: Handlers):
    """The student declines with a reason (OfferDeclined); 409 once answered or past the deadline."""
    return OfferPublic.of(await handlers.decline_offer(user, offer_id, reason=body.reason), now=handlers.clock.now())
