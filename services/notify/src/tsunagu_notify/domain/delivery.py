"""What a channel worker decides about one delivery, without any I/O.

A delivery request (domain/recipient.py `DeliveryRequested`) is attempted; each attempt ends in
a `DeliveryOutcome` (sent, retrying, failed or cancelled) that the views show and, for some
provider refusals, in a change of her state (a hard bounce turns email off). A delivery waiting
for its next attempt is a `WaitingDelivery`, kept by the owner of her partition until it is due.
"""

from datetime import datetime, timedelta
from typing import Any, Literal

from tsunagu_notify.domain.model import Channel, Frozen
from tsunagu_notify.domain.policy import CONFIRMATION_TEMPLATE
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.recipient import DeliveriesCancelled, DeliveryRequested, Erased

OutcomeStatus = Literal["sent", "retrying", "failed", "cancelled"]


class DeliveryOutcome(Frozen):
    """How one attempt at one delivery ended (an effect the projector shows in `deliveries`)."""

    kind: Literal["delivery_outcome"] = "delivery_outcome"
    key: str
    intent_id: str
    recipient_id: str
    channel: Channel
    status: OutcomeStatus
    attempts: int
    at: datetime
    provider_message_id: str | None = None
    # the provider's own code for a refusal or a failure (SMTP reply code, Twilio error code, HTTP status)
    provider_code: str | None = None
    already_accepted: bool = False
    error: str | None = None
    next_attempt_at: datetime | None = None


class WaitingDelivery(Frozen):
    """A delivery whose last attempt failed for now: attempted again at `due_at`."""

    request: DeliveryRequested
    attempts: int
    due_at: datetime
    last_error: str


def retry_wait(attempts: int, config: PolicyConfig, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones; None once the ladder is used up.
    A provider's Retry-After is a floor."""
    if attempts >= config.max_delivery_attempts:
        return None
    ladder = config.backoff_ladder_seconds
    wait = float(ladder[min(attempts - 1, len(ladder) - 1)])
    return max(wait, retry_after) if retry_after else wait


def waiting(request: DeliveryRequested, attempts: int, now: datetime, wait: float, error: str) -> WaitingDelivery:
    return WaitingDelivery(request=request, attempts=attempts, due_at=now + timedelta(seconds=wait), last_error=error)


# Provider refusals that say the address will never take a message: her channel is turned off,
# as the matching webhook would (a hard bounce, a STOP Twilio already knows of, a dead number).
_OPT_OUT_SOURCES: dict[tuple[str, str], str] = {
    ("email", "550"): "email_bounce", ("email", "551"): "email_bounce", ("email", "553"): "email_bounce",
    ("sms", "21610"): "sms_stop", ("sms", "21211"): "sms_invalid_number", ("sms", "21614"): "sms_invalid_number",
}


def opt_out_source(channel: str, provider_code: str | None) -> str | None:
    """The opt-out source a refusal counts as for her state, or None when it says nothing about her."""
    if provider_code is None:
        return None
    return _OPT_OUT_SOURCES.get((channel, provider_code))


def cancelled_by(cancellation: DeliveriesCancelled | Erased, request: DeliveryRequested) -> bool:
    """Whether a cancellation (an opt-out, a cancelled intent, her erasure) stops this request."""
    if cancellation.recipient_id != request.recipient_id:
        return False
    if cancellation.kind == "erased":
        return True
    if cancellation.intent_ids and request.intent_id not in cancellation.intent_ids:
        return False
    if cancellation.channel and cancellation.channel != request.channel:
        return False
    return not (cancellation.reason == "opted_out" and request.template == CONFIRMATION_TEMPLATE)


def message_variables(variables: dict[str, Any], *, recipient_name: str | None, channel: str,
                      unsubscribe_url: str | None) -> dict[str, Any]:
    """What a message says beyond its template's own variables: her name, who sends it (Tsunagu when
    no company does), and on email the link to stop. The channel workers and the simulator both use it."""
    assembled = {**variables, "recipient_name": recipient_name or ""}
    assembled.setdefault("company_name", "Tsunagu")
    if channel == "email" and unsubscribe_url is not None:
        assembled["unsubscribe_url"] = unsubscribe_url
    return assembled
