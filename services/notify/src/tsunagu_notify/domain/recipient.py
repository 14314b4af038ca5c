"""One person's contact state as the owner of her partition keeps it, and every way it changes.

Pure: each function takes her `OwnedRecipient` and returns an `Outcome` (her next state, the
decision if any, the public events to publish, the requests to make and what the views must
show). The policy processor applies them in order and commits them together in one Kafka
transaction, so nothing here ever sees a half-applied change.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from tsunagu_shared.events import (
    CampaignApplicantImported,
    ContactOptedIn,
    ContactOptedOut,
    ContactPreferencesChanged,
    DomainEvent,
    LineAccountLinked,
    LineAccountUnlinked,
    NotificationDeferred,
    NotificationRequested,
    NotificationSuppressed,
)

from tsunagu_notify.domain import directory
from tsunagu_notify.domain.model import Action, Channel, Decision, Frozen, Intent, Reason, RecipientState, changed
from tsunagu_notify.domain.policy import CONFIRMATION_TEMPLATE, apply_decision, decide, handed_over, note_handover
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.templates import UnknownTemplate, template

# Decided-intent markers kept per person (newest): with exactly-once batches an intent is handed
# in again only when its producer re-published it (same deterministic intent id), soon after.
DECIDED_KEPT = 128
# Cancelled intent ids kept per person: a cancellation may arrive before the intent it names.
CANCELLED_KEPT = 256
# Change ids kept per person: a change requested twice (its requester crashed after asking) counts once.
CHANGES_KEPT = 64

_CONFIRMATIONS = uuid.UUID("7d1e3c55-2a9b-4f60-b8c4-1e5a9f3d2c77")


def idempotency_key(intent_id: str, recipient_id: str, channel: str) -> str:
    """One delivery per intent, person and channel: the key every provider call carries."""
    return f"{intent_id}:{recipient_id}:{channel}"


class Deferral(Frozen):
    """A deferred intent waiting in her state until it is due (its next attempt)."""

    intent: Intent
    due_at: datetime


class OwnedRecipient(Frozen):
    """Everything the owner of her partition keeps about her."""

    state: RecipientState
    # intent id -> the attempt decided last, oldest first
    decided: dict[str, int] = {}
    deferrals: dict[str, Deferral] = {}
    cancelled: dict[str, str] = {}
    changes_seen: tuple[str, ...] = ()

    @classmethod
    def new(cls, recipient_id: str) -> "OwnedRecipient":
        return cls(state=RecipientState(recipient_id=recipient_id))

    @property
    def recipient_id(self) -> str:
        return self.state.recipient_id

    def due(self, now: datetime) -> list[Intent]:
        """Deferred intents whose time has come, earliest first."""
        return [d.intent for d in sorted(self.deferrals.values(), key=lambda d: d.due_at) if d.due_at <= now]

    def next_due(self) -> datetime | None:
        return min((d.due_at for d in self.deferrals.values()), default=None)


# --- what the views must show (applied by the projector, in order per person) ---

class DecisionRecorded(Frozen):
    kind: Literal["decision"] = "decision"
    decision: Decision
    template: str
    category: str
    company_id: str | None = None


class DeferralChanged(Frozen):
    kind: Literal["deferral"] = "deferral"
    recipient_id: str
    intent: Intent
    due_at: datetime
    status: Literal["pending", "done", "cancelled"]


class DeliveryRequested(Frozen):
    kind: Literal["delivery"] = "delivery"
    key: str
    intent_id: str
    recipient_id: str
    channel: Channel
    template: str
    category: str
    company_id: str | None = None
    variables: dict[str, Any] = {}
    decided_at: datetime
    # what the channel worker renders and sends with, as her state was when the policy decided
    # (an opt-out after that reaches the worker as DeliveriesCancelled, in her order)
    address: str | None = None
    display_name: str | None = None
    locale: str = "ja"
    # the intent's envelope, so the outcome events continue its correlation and its trace
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None


class DeliveriesCancelled(Frozen):
    """Pending deliveries of these intents (or of this channel) must not go out."""

    kind: Literal["deliveries_cancelled"] = "deliveries_cancelled"
    recipient_id: str
    intent_ids: tuple[str, ...] = ()
    channel: Channel | None = None
    reason: str
    at: datetime


class StateChanged(Frozen):
    kind: Literal["state"] = "state"
    state: RecipientState


class Erased(Frozen):
    kind: Literal["erased"] = "erased"
    recipient_id: str
    at: datetime


Effect = DecisionRecorded | DeferralChanged | DeliveryRequested | DeliveriesCancelled | StateChanged | Erased


@dataclass
class Outcome:
    owned: OwnedRecipient
    decision: Decision | None = None
    events: list[DomainEvent] = field(default_factory=list)
    requests: list[NotificationRequested] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    def then(self, later: "Outcome") -> "Outcome":
        return Outcome(later.owned, later.decision or self.decision, self.events + later.events,
                       self.requests + later.requests, self.effects + later.effects)


# --- intents ---

def decide_intent(owned: OwnedRecipient, intent: Intent, now: datetime, config: PolicyConfig) -> Outcome | None:
    """Decide one intent at its attempt; None when it was decided at this attempt or later already."""
    earlier = owned.decided.get(intent.intent_id)
    if earlier is not None and earlier >= intent.attempt:
        return None
    state = owned.state
    decision = _decide(intent, state, now, config, owned.cancelled.get(intent.intent_id))
    after = apply_decision(state, intent, decision, config)
    decision = note_handover(decision, state, after)
    deferrals = dict(owned.deferrals)
    effects: list[Effect] = [DecisionRecorded(decision=decision, template=intent.template, category=intent.category,
                                              company_id=intent.company_id)]
    waiting = deferrals.pop(intent.intent_id, None)
    if waiting is not None and waiting.intent.attempt <= intent.attempt:
        effects.append(DeferralChanged(recipient_id=intent.recipient_id, intent=waiting.intent,
                                       due_at=waiting.due_at, status="done"))
    elif waiting is not None:
        deferrals[intent.intent_id] = waiting  # a newer attempt waits already: this one was a replay
    if decision.action == Action.DEFER:
        deferral = Deferral(intent=intent.model_copy(update={"attempt": intent.attempt + 1}), due_at=decision.until)
        deferrals[intent.intent_id] = deferral
        effects.append(DeferralChanged(recipient_id=intent.recipient_id, intent=deferral.intent,
                                       due_at=deferral.due_at, status="pending"))
    elif decision.action == Action.SEND:
        effects.append(_delivery(intent, decision, state))
    elif (holder := handed_over(intent, decision, after)) is not None:
        # The merged items outlive a suppressed holder: the next one holds them and is decided at once.
        deferral = Deferral(intent=holder.as_intent(intent.recipient_id, decision.decided_at),
                            due_at=decision.decided_at)
        deferrals[holder.intent_id] = deferral
        effects.append(DeferralChanged(recipient_id=intent.recipient_id, intent=deferral.intent,
                                       due_at=deferral.due_at, status="pending"))
    decided = dict(owned.decided)
    decided.pop(intent.intent_id, None)
    decided[intent.intent_id] = decision.attempt
    decided = _newest(decided, DECIDED_KEPT)
    next_owned = changed(owned, state=after, decided=decided, deferrals=deferrals)
    return Outcome(next_owned, decision, events=_decision_events(decision), effects=effects)


def cancel(owned: OwnedRecipient, intent_ids: list[str], reason: str, now: datetime,
           config: PolicyConfig) -> Outcome:
    """These intents must not be sent: waiting deferrals are decided `cancelled` now, later arrivals too."""
    cancelled = dict(owned.cancelled)
    for intent_id in intent_ids:
        cancelled.setdefault(intent_id, reason)
    outcome = Outcome(owned.model_copy(update={"cancelled": _newest(cancelled, CANCELLED_KEPT)}),
                      effects=[DeliveriesCancelled(recipient_id=owned.recipient_id, intent_ids=tuple(intent_ids),
                                                   reason=reason, at=now)])
    for intent_id in intent_ids:
        waiting = outcome.owned.deferrals.get(intent_id)
        if waiting is not None:
            decided = decide_intent(outcome.owned, waiting.intent, now, config)
            if decided is not None:
                outcome = outcome.then(decided)
    return outcome


def _decide(intent: Intent, state: RecipientState, now: datetime, config: PolicyConfig,
            cancelled: str | None) -> Decision:
    if cancelled is not None:
        return Decision(intent_id=intent.intent_id, recipient_id=intent.recipient_id, action=Action.SUPPRESS,
                        reason=Reason.CANCELLED, decided_at=now, attempt=intent.attempt, detail=cancelled)
    try:
        template(intent.template)
    except UnknownTemplate:
        return Decision(intent_id=intent.intent_id, recipient_id=intent.recipient_id, action=Action.SUPPRESS,
                        reason=Reason.UNKNOWN_TEMPLATE, decided_at=now, attempt=intent.attempt,
                        detail=intent.template)
    return decide(intent, state, now, config)


def _decision_events(decision: Decision) -> list[DomainEvent]:
    common = {"intent_id": decision.intent_id, "recipient_id": decision.recipient_id,
              "decided_at": decision.decided_at}
    if decision.action == Action.SUPPRESS:
        return [NotificationSuppressed(reason=decision.reason.value, **common)]
    if decision.action == Action.DEFER:
        return [NotificationDeferred(reason=decision.reason.value, until=decision.until, **common)]
    if decision.action == Action.DIGEST:
        return [NotificationDeferred(reason=f"digested:{decision.into}", until=decision.decided_at, **common)]
    return []


def message_of(intent: Intent, before: RecipientState) -> tuple[str, dict[str, Any]]:
    """The template and variables an allowed intent goes out with: the holder of an open digest
    goes out as one outreach_digest naming every company in it."""
    variables, template_name = dict(intent.variables), intent.template
    digest = before.open_digest
    if digest is not None and digest.holder_intent_id == intent.intent_id and digest.items:
        given = [intent.variables.get("company_name"), *(i.variables.get("company_name") for i in digest.items)]
        names: list[str] = [n for n in dict.fromkeys(given) if n]
        template_name = "outreach_digest"
        variables = {"company_name": names[0] if names else "Tsunagu", "companies": "、".join(names),
                     "count": len(digest.items) + 1}
    return template_name, variables


def _delivery(intent: Intent, decision: Decision, before: RecipientState) -> DeliveryRequested:
    template_name, variables = message_of(intent, before)
    channel = decision.channel
    if channel is None:
        raise ValueError(f"a send decision without a channel: {decision.intent_id}")
    return DeliveryRequested(
        key=idempotency_key(intent.intent_id, intent.recipient_id, channel), intent_id=intent.intent_id,
        recipient_id=intent.recipient_id, channel=channel, template=template_name,
        category=intent.category, company_id=intent.company_id, variables=variables,
        decided_at=decision.decided_at, address=before.channel(channel).address,
        display_name=before.display_name, locale=before.locale)


_V = TypeVar("_V")


def _required(value: _V | None, change: "RecipientChange", name: str) -> _V:
    """A field the kind of change needs (the producer of a change always gives it)."""
    if value is None:
        raise ValueError(f"a {change.kind} change needs its {name}")
    return value


def _newest(values: dict[str, _V], keep: int) -> dict[str, _V]:
    """The `keep` entries added last (dicts keep insertion order)."""
    return values if len(values) <= keep else dict(list(values.items())[-keep:])


# --- changes from outside the policy (directory, provider signals, LINE, erasure) ---

ChangeKind = Literal["preferences", "campaign_contact", "blocked", "left_unanswered", "answered", "opted_out",
                     "opted_in", "line_followed", "line_linked", "line_unlinked", "erased"]


class RecipientChange(Frozen):
    """A request to change her state, applied by the owner of her partition in order."""

    change_id: str
    recipient_id: str
    kind: ChangeKind
    at: datetime
    company_id: str | None = None
    channel: Channel | None = None
    source: str | None = None
    confirm: bool = False
    line_user_id: str | None = None
    preferences: ContactPreferencesChanged | None = None
    applicant: CampaignApplicantImported | None = None


def apply_change(owned: OwnedRecipient, change: RecipientChange, now: datetime) -> Outcome:
    """Her state after one change, with the events it publishes; nothing when seen before."""
    if change.change_id in owned.changes_seen:
        return Outcome(owned)
    seen = (*owned.changes_seen, change.change_id)[-CHANGES_KEPT:]
    if change.kind == "erased":
        return _erased(owned, change, seen)
    state, outcome = owned.state, Outcome(owned)
    after = _changed_state(state, change)
    if after is not None and after != state:
        outcome.events.extend(_change_events(change))
        if change.kind == "opted_out":
            outcome.effects.append(DeliveriesCancelled(recipient_id=owned.recipient_id, channel=change.channel,
                                                       reason="opted_out", at=now))
            if change.confirm:
                outcome.requests.append(_confirmation(change))
        state = after
    outcome.owned = owned.model_copy(update={"state": state, "changes_seen": seen})
    return outcome


def _changed_state(state: RecipientState, change: RecipientChange) -> RecipientState | None:
    match change.kind:
        case "preferences":
            return directory.after_preferences(state, _required(change.preferences, change, "preferences"))
        case "campaign_contact":
            return directory.campaign_contact(state, _required(change.applicant, change, "applicant"))
        case "blocked":
            return directory.blocked(state, _required(change.company_id, change, "company_id"))
        case "left_unanswered":
            return directory.left_unanswered(state, _required(change.company_id, change, "company_id"))
        case "answered":
            return directory.answered(state, _required(change.company_id, change, "company_id"))
        case "opted_out":
            return directory.opted_out(state, _required(change.channel, change, "channel"),
                                       _required(change.source, change, "source"), change.at) if state.known else None
        case "opted_in":
            return directory.opted_in(state, _required(change.channel, change, "channel"),
                                      _required(change.source, change, "source"), change.at) if state.known else None
        case "line_followed":
            return directory.line_followed(state, _required(change.line_user_id, change, "line_user_id"), change.at)
        case "line_linked":
            return (directory.line_followed(state, _required(change.line_user_id, change, "line_user_id"), change.at)
                    if state.known else None)
        case "line_unlinked":
            return directory.line_unlinked(state)
    return None


def _change_events(change: RecipientChange) -> list[DomainEvent]:
    match change.kind:
        case "opted_out":
            return [ContactOptedOut(recipient_id=change.recipient_id, channel=change.channel, source=change.source,
                                    opted_out_at=change.at)]
        case "opted_in":
            return [ContactOptedIn(recipient_id=change.recipient_id, channel=change.channel, source=change.source,
                                   opted_in_at=change.at)]
        case "line_followed":
            return [ContactOptedIn(recipient_id=change.recipient_id, channel="line", source="line_follow",
                                   opted_in_at=change.at)]
        case "line_linked":
            return [LineAccountLinked(recipient_id=change.recipient_id, source=change.source or "admin",
                                      linked_at=change.at)]
        case "line_unlinked":
            return [LineAccountUnlinked(recipient_id=change.recipient_id, unlinked_at=change.at)]
    return []


def _confirmation(change: RecipientChange) -> NotificationRequested:
    """The one message confirming an opt-out, on the channel she left (the policy allows exactly one)."""
    intent_id = str(uuid.uuid5(_CONFIRMATIONS, f"{change.recipient_id}|{change.channel}|{change.at.isoformat()}"))
    return NotificationRequested(intent_id=intent_id, recipient_id=change.recipient_id,
                                 template=CONFIRMATION_TEMPLATE, category="transactional", channel=change.channel,
                                 requested_at=change.at)


def _erased(owned: OwnedRecipient, change: RecipientChange, seen: tuple[str, ...]) -> Outcome:
    """She deleted her profile: contact data, decisions and everything waiting for her are gone."""
    effects: list[Effect] = [
        DeferralChanged(recipient_id=owned.recipient_id, intent=d.intent.model_copy(update={"variables": {}}),
                        due_at=d.due_at, status="cancelled") for d in owned.deferrals.values()]
    effects.append(Erased(recipient_id=owned.recipient_id, at=change.at))
    erased = OwnedRecipient(state=RecipientState(recipient_id=owned.recipient_id), changes_seen=seen)
    return Outcome(erased, effects=effects)
