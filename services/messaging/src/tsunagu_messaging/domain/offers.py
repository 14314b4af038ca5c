"""Offers: issued with terms and a response deadline; accepted or declined once.

States: open -> accepted | declined; an open offer whose deadline passed is
`expired` (computed, so a lapsed deadline is visible without any job running).
One open offer per thread.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

OfferStatus = Literal["open", "accepted", "declined", "expired"]


class OfferRefused(Exception):
    """The offer cannot move this way; the message says why."""


class Offer(BaseModel):
    offer_id: str
    thread_id: str
    company_id: str
    candidate_id: str
    terms: str
    respond_by: datetime
    status: Literal["open", "accepted", "declined"]
    issued_at: datetime
    issued_by: str
    decline_reason: str | None = None
    responded_at: datetime | None = None
    # When OfferLapsed was published (the deadline passed unanswered).
    lapsed_at: datetime | None = None


def effective_status(offer: Offer, *, now: datetime) -> OfferStatus:
    """What the parties see: an open offer past its deadline has lapsed."""
    if offer.status == "open" and offer.respond_by <= now:
        return "expired"
    return offer.status


def check_deadline(respond_by: datetime, *, now: datetime) -> None:
    if respond_by.tzinfo is None:
        raise OfferRefused("respond_by: must carry a time zone offset")
    if respond_by <= now:
        raise OfferRefused("respond_by: the response deadline must be in the future")


def check_may_respond(offer: Offer, *, now: datetime) -> None:
    """Accept or decline only an open offer before its deadline."""
    status = effective_status(offer, now=now)
    if status == "expired":
        raise OfferRefused(f"the response deadline ({offer.respond_by.isoformat()}) has passed")
    if status != "open":
        raise OfferRefused(f"this offer was already {status}")
