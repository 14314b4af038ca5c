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

from fastapi import FastAPI
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.errors import Answer, ErrorAnswers

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

ERRORS: ErrorAnswers = {
    ThreadNotVisible: Answer(404, "no such thread"),
    NotFound: 404,
    StudentCannotStart: 403,
    SendingRefused: 403,
    NotYourMove: 403,
    MessageRejected: 400,
    InterviewRefused: 409,
    OfferRefused: 409,
    OpenOfferExists: Answer(409, "this thread already has an open offer; it must be answered or lapse first"),
    AlreadyAnswered: 409,
    ChangedMeanwhile: 409,
    RateLimited: Answer(429, headers=lambda exc: {"Retry-After": str(exc.retry_after)}),
    ProfileUnavailable: Answer(
        503, lambda exc: f"your answer could not be saved now, please try again shortly ({exc})"),
}


def create_app(settings: MessagingSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or MessagingSettings(),
        title="Tsunagu messaging service",
        description="Conversations between a company and a student: threads opened by scouts, messages, "
                    "interviews and offers.",
        bootstrap=bootstrap,
        routers=[routes_threads.router, routes_scheduling.router],
        errors=ERRORS,
    )
