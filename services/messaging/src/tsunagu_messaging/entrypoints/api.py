"""HTTP API of the messaging service: thin routers, and how domain refusals become HTTP answers.

- 404: a thread (or its interview, offer, attachment) the caller is not a party to, or that
  does not exist: the two are answered alike so existence is not leaked;
- 403: the caller may see the thread but not do this (a student starting a conversation,
  a blocked / declined / departed company writing, the wrong side acting);
- 400: content rules (length, attachment type and size), naming the field;
- 409: a state that does not allow the move (offer answered or lapsed, interview changed);
- 429: the per-sender rate limit, with Retry-After;
- 503: the profile service could not take her answer (nothing saved).
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.search_http import answer_for_the_read_side

from tsunagu_messaging.adapters.profile_client import ProfileUnavailable
from tsunagu_messaging.adapters.records import OpenOfferExists
from tsunagu_messaging.bootstrap import bootstrap
from tsunagu_messaging.config import MessagingSettings
from tsunagu_messaging.domain.interviews import InterviewRefused
from tsunagu_messaging.domain.messages import MessageRejected
from tsunagu_messaging.domain.offers import OfferRefused
from tsunagu_messaging.domain.threads import NotYourMove, SendingRefused, StudentCannotStart, ThreadNotVisible
from tsunagu_messaging.entrypoints import routes_scheduling, routes_threads
from tsunagu_messaging.handlers import RateLimited
from tsunagu_messaging.handlers.common import NotFound
from tsunagu_messaging.handlers.conversation import AlreadyAnswered
from tsunagu_messaging.handlers.scheduling import ChangedMeanwhile

STATUS_OF: dict[type[Exception], int] = {
    ThreadNotVisible: 404,
    NotFound: 404,
    StudentCannotStart: 403,
    SendingRefused: 403,
    NotYourMove: 403,
    MessageRejected: 400,
    InterviewRefused: 409,
    OfferRefused: 409,
    OpenOfferExists: 409,
    AlreadyAnswered: 409,
    ChangedMeanwhile: 409,
    RateLimited: 429,
    ProfileUnavailable: 503,
}


def _detail(exc: Exception) -> str:
    if isinstance(exc, ThreadNotVisible):
        return "no such thread"
    if isinstance(exc, OpenOfferExists):
        return "this thread already has an open offer; it must be answered or lapse first"
    if isinstance(exc, ProfileUnavailable):
        return f"your answer could not be saved now, please try again shortly ({exc})"
    return str(exc)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    code = next(c for t, c in STATUS_OF.items() if isinstance(exc, t))
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse({"detail": _detail(exc)}, status_code=code, headers=headers)


def create_app(settings: MessagingSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings=settings or MessagingSettings(),
        title="Tsunagu messaging service",
        description="Conversations between a company and a student: threads opened by scouts, messages, "
                    "interviews and offers.",
        bootstrap=bootstrap,
        routers=[routes_threads.router, routes_scheduling.router],
    )
    for exc_type in STATUS_OF:
        app.add_exception_handler(exc_type, _domain_error)
    answer_for_the_read_side(app)
    return app
