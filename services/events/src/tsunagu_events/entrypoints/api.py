"""HTTP API of the events service: thin routes that call one handler each.

Errors: 404 for an unknown event, a registration the caller does not have, or a
check-in code that is not hers; 403 when the caller's role or company may not act
on this event; 409 when a rule of the event refuses (closed, full of changes,
already registered, code used); 422 names the invalid field.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Response, status
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.auth import CandidateUser, CurrentPrincipal, Principal, require_role
from tsunagu_shared.containers import container_of
from tsunagu_shared.errors import Answer, ErrorAnswers
from tsunagu_shared.search_http import NEXT_CURSOR

from tsunagu_events.bootstrap import Container, bootstrap
from tsunagu_events.config import EventsSettings
from tsunagu_events.domain.model import Actor, DomainError, EventCreate, NotAllowed, NotRegistered
from tsunagu_events.domain.views import EventPublic
from tsunagu_events.entrypoints.schemas import (
    AttendancePublic,
    CheckIn,
    CheckInPublic,
    EventCancel,
    InterestMark,
    InterestPublic,
    RegistrationPublic,
)
from tsunagu_events.handlers import EventsHandlers, UnknownCode
from tsunagu_events.handlers.seating import EventNotFound, LedgerBusy

router = APIRouter(prefix="/events", tags=["events"])

Organizer = Annotated[Principal, Depends(require_role("admin", "recruiter"))]
Attendee = Annotated[Principal, Depends(require_role("candidate", "recruiter"))]
# staff scanning her QR, or the student with her own code; never a service
CheckInCaller = Annotated[Principal, Depends(require_role("admin", "recruiter", "candidate"))]


def get_handlers(container: Annotated[Container, Depends(container_of(Container))]) -> EventsHandlers:
    return container.handlers


Handlers = Annotated[EventsHandlers, Depends(get_handlers)]


def actor(principal: Principal) -> Actor:
    return Actor(role=principal.role, subject=principal.subject, company_id=principal.company_id)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventPublic)
async def publish_event(body: EventCreate, principal: Organizer, handlers: Handlers):
    """Publish an event (EventPublished). Admins publish matching events and info sessions with any
    participating companies; a recruiter publishes an info session of his own company only.
    `starts_at` carries its offset; `time_zone` is the IANA zone it is shown in."""
    return EventPublic.of(await handlers.publish_event(actor=actor(principal), data=body))


@router.get("", response_model=list[EventPublic])
async def list_upcoming_events(_: CurrentPrincipal, handlers: Handlers, response: Response,
                               limit: Annotated[int, Query(ge=1, le=200)] = 100,
                               cursor: Annotated[str | None, Query(max_length=500)] = None):
    """Upcoming published events, soonest first. A page of `limit`; when more follow, the
    `X-Next-Cursor` header holds the `cursor` of the next page. 503 while the search engine is away."""
    events, next_cursor = await handlers.upcoming_events(cursor=cursor, limit=limit)
    if next_cursor:
        response.headers[NEXT_CURSOR] = next_cursor
    return events


@router.get("/{event_id}", response_model=EventPublic)
async def read_event(event_id: str, _: CurrentPrincipal, handlers: Handlers):
    """One event with its seats left (never who registered)."""
    return EventPublic.of(await handlers.get_event(event_id=event_id))


@router.post("/{event_id}/cancel", response_model=EventPublic)
async def cancel_event(event_id: str, body: EventCancel, principal: Organizer, handlers: Handlers):
    """Cancel the event (EventCancelled): every registrant is told, and her reminders are called off.
    Admins cancel any event; a recruiter only his company's info session."""
    return EventPublic.of(await handlers.cancel_event(event_id=event_id, actor=actor(principal),
                                                      reason=body.reason))


@router.post("/{event_id}/registration", status_code=status.HTTP_201_CREATED, response_model=RegistrationPublic)
async def register(event_id: str, user: CandidateUser, handlers: Handlers):
    """Register the calling student (EventRegistered): a seat if one is free, else the waitlist, from
    which she is promoted automatically when a seat is given up. Closes at the registration deadline."""
    event, registration = await handlers.register(event_id=event_id, candidate_id=user.subject)
    return RegistrationPublic.of(event, registration)


@router.get("/{event_id}/registration", response_model=RegistrationPublic)
async def read_my_registration(event_id: str, user: CandidateUser, handlers: Handlers):
    """The calling student's registration: status, waitlist place, and her one-time check-in code."""
    event, registration = await handlers.my_registration(event_id=event_id, candidate_id=user.subject)
    return RegistrationPublic.of(event, registration)


@router.delete("/{event_id}/registration", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_my_registration(event_id: str, user: CandidateUser, handlers: Handlers) -> None:
    """Give up the calling student's seat or waitlist place before the event starts."""
    await handlers.cancel_registration(event_id=event_id, candidate_id=user.subject)


@router.post("/{event_id}/check-ins", status_code=status.HTTP_201_CREATED, response_model=CheckInPublic)
async def check_in(event_id: str, body: CheckIn, principal: CheckInCaller, handlers: Handlers):
    """Check a registration in with its one-time code (EventAttended): staff of the event (admin or a
    participating recruiter) scanning the student's QR, or the student with her own code. Open from
    2 hours before the start to 12 hours after it; a code works once."""
    registration = await handlers.check_in(event_id=event_id, code=body.code, actor=actor(principal))
    return CheckInPublic(registration_id=registration.registration_id, candidate_id=registration.candidate_id,
                         attended_at=registration.attended_at)


@router.get("/{event_id}/attendance", response_model=AttendancePublic)
async def read_attendance(event_id: str, principal: Organizer, handlers: Handlers):
    """Seat holders and who checked in (the rest are no-shows): admins and participating recruiters."""
    event, registrations = await handlers.attendance(event_id=event_id, actor=actor(principal))
    return AttendancePublic.of(event, registrations)


@router.post("/{event_id}/interests", response_model=InterestPublic)
async def mark_interest(event_id: str, body: InterestMark, principal: Attendee, handlers: Handlers):
    """Mark interest at the event: a checked-in student in a participating company (`company_id`), or a
    recruiter of a participating company in a checked-in student (`candidate_id`). When both sides have
    marked it, MutualInterestMatched lets the company open a thread without spending a scout."""
    if principal.role == "candidate":
        company_id, candidate_id, missing = body.company_id, principal.subject, "company_id"
    else:
        company_id, candidate_id, missing = principal.company_id, body.candidate_id, "candidate_id"
    if not company_id or not candidate_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            detail=[{"loc": ["body", missing], "msg": "field required", "type": "missing"}])
    interest = await handlers.mark_interest(event_id=event_id, actor=actor(principal),
                                            company_id=company_id, candidate_id=candidate_id)
    return InterestPublic.of(interest)


@router.get("/{event_id}/matches", response_model=list[InterestPublic])
async def read_matches(event_id: str, principal: CurrentPrincipal, handlers: Handlers):
    """Mutual matches of the event: a student sees hers, a recruiter his company's, an admin all."""
    return [InterestPublic.of(i) for i in await handlers.matches(event_id=event_id, actor=actor(principal))]


# A refusal of the event's rules not named here (closed, already registered, a code used) is a 409.
ERRORS: ErrorAnswers = {
    DomainError: status.HTTP_409_CONFLICT,
    EventNotFound: status.HTTP_404_NOT_FOUND,
    NotRegistered: status.HTTP_404_NOT_FOUND,
    UnknownCode: status.HTTP_404_NOT_FOUND,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    LedgerBusy: Answer(status.HTTP_503_SERVICE_UNAVAILABLE, "too many changes at once; try again",
                       headers={"Retry-After": "1"}),
}


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or EventsSettings(),
        title="Tsunagu events service",
        description="Matching events and company info sessions: seats and waitlists, check-in, "
                    "and mutual interest at the venue.",
        bootstrap=bootstrap,
        routers=[router],
        errors=ERRORS,
    )
