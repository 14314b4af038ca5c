"""Member status for the LINE rich menu (pure): registered, scouted, interviewing, offer holder."""

from pydantic import BaseModel, ConfigDict
from tsunagu_shared.events import (
    DomainEvent,
    InterviewScheduled,
    OfferAccepted,
    OfferDeclined,
    OfferIssued,
    OfferLapsed,
    ScoutSent,
)

STATUSES = ("registered", "scouted", "interviewing", "offer_holder")


class Member(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str = "registered"
    # Offers she holds (issued or accepted, not declined).
    offers: tuple[str, ...] = ()


def _at_least(member: Member, status: str) -> str:
    return max(member.status, status, key=STATUSES.index)


def after(member: Member, event: DomainEvent) -> Member:
    """Her status after a status-changing event; a declined or lapsed last offer takes her back to interviewing."""
    match event:
        case ScoutSent():
            return member.model_copy(update={"status": _at_least(member, "scouted")})
        case InterviewScheduled():
            return member.model_copy(update={"status": _at_least(member, "interviewing")})
        case OfferIssued() | OfferAccepted():
            offers = tuple(dict.fromkeys((*member.offers, event.offer_id)))
            return member.model_copy(update={"status": "offer_holder", "offers": offers})
        case OfferDeclined() | OfferLapsed():
            offers = tuple(o for o in member.offers if o != event.offer_id)
            status = member.status if offers else ("interviewing" if member.status == "offer_holder" else member.status)
            return member.model_copy(update={"status": status, "offers": offers})
    return member


def concerns(event: DomainEvent) -> str | None:
    """The candidate whose status the event may change, or None."""
    if isinstance(event, (ScoutSent, InterviewScheduled, OfferIssued, OfferAccepted, OfferDeclined, OfferLapsed)):
        return event.candidate_id
    return None
