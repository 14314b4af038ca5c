"""The contact policy (DESIGN §4): a pure function of (intent, recipient state, clock).

`decide` answers send / defer / digest / suppress with a reason code; `apply_decision`
gives the recipient state after the decision (counters, digest, confirmation). Both are
pure: the handler loads the state, calls them and stores the result atomically.
"""

from datetime import datetime

from tsunagu_notify.domain.caps import cap_blocks, channel_cap_free_at, silent_companies
from tsunagu_notify.domain.local_time import in_quiet_hours, next_allowed
from tsunagu_notify.domain.model import (
    Action,
    Channel,
    ChannelStatus,
    Decision,
    DigestItem,
    Intent,
    OpenDigest,
    Reason,
    RecipientState,
    SendRecord,
)
from tsunagu_notify.domain.policy_config import PolicyConfig

CONFIRMATION_TEMPLATE = "opt_out_confirmation"
_HOLDER_REASONS = (Reason.QUIET_HOURS, Reason.MIN_GAP, Reason.PLATFORM_CAP)


def decide(intent: Intent, state: RecipientState, now: datetime, config: PolicyConfig) -> Decision:
    """Apply every rule of §4 to one intent; the most restrictive rule wins."""

    def outcome(action: Action, reason: Reason, **fields) -> Decision:
        return Decision(
            intent_id=intent.intent_id, recipient_id=intent.recipient_id, action=action, reason=reason,
            decided_at=now, attempt=intent.attempt, **fields,
        )

    if not state.known:
        return outcome(Action.SUPPRESS, Reason.UNKNOWN_RECIPIENT)
    if intent.company_id and intent.company_id in state.blocked_companies:
        return outcome(Action.SUPPRESS, Reason.BLOCKED)
    if intent.template == CONFIRMATION_TEMPLATE:
        return _confirmation(intent, state, now, outcome)
    if intent.not_before and now < intent.not_before:
        return outcome(Action.DEFER, Reason.NOT_BEFORE, until=intent.not_before)

    order = channel_order(intent, state, config)
    usable = [c for c in order if state.channel(c).usable]
    if not usable:
        opted_out = any(state.channel(c).opted_out_at for c in order)
        return outcome(Action.SUPPRESS, Reason.OPTED_OUT if opted_out else Reason.NO_CONSENT)

    if intent.category == "outreach":
        blocked = _outreach_limits(intent, state, now, config)
        if blocked is not None:
            reason, until = blocked
            if until is None:
                return outcome(Action.SUPPRESS, reason)
            return _postpone(intent, state, now, config, outcome, reason, until)

    open_channels = [c for c in usable if intent.category == "critical" or channel_cap_free_at(c, state, now, config) is None]
    if not open_channels:
        until = min(channel_cap_free_at(c, state, now, config) for c in usable)
        return _postpone(intent, state, now, config, outcome, Reason.CHANNEL_CAP, until)

    if intent.category != "critical" and in_quiet_hours(now, state.time_zone, *_quiet(state, config)):
        return _postpone(intent, state, now, config, outcome, Reason.QUIET_HOURS, now)
    if intent.category == "outreach":
        last = _last_outreach(state)
        if last is not None and now < last + config.min_gap:
            return _postpone(intent, state, now, config, outcome, Reason.MIN_GAP, last + config.min_gap)

    channel = open_channels[0]
    if _holds_digest(intent, state):
        reason = Reason.DIGEST_DUE
    else:
        reason = Reason.ALLOWED if channel == order[0] else Reason.ESCALATED
    return outcome(Action.SEND, reason, channel=channel, at=now)


def channel_order(intent: Intent, state: RecipientState, config: PolicyConfig) -> list[Channel]:
    """The requested channel alone, or her preferred one first and then the escalation order."""
    if intent.channel:
        return [intent.channel]
    first = [state.preferred_channel] if state.preferred_channel else []
    return first + [c for c in config.escalation_order if c not in first]


def _quiet(state: RecipientState, config: PolicyConfig) -> tuple[str, str]:
    return (state.quiet_hours_start or config.quiet_hours_start, state.quiet_hours_end or config.quiet_hours_end)


def _last_outreach(state: RecipientState) -> datetime | None:
    times = [s.at for s in state.sends if s.category == "outreach"]
    return max(times) if times else None


def _holds_digest(intent: Intent, state: RecipientState) -> bool:
    return state.open_digest is not None and state.open_digest.holder_intent_id == intent.intent_id


def _outreach_limits(intent: Intent, state: RecipientState, now: datetime, config: PolicyConfig):
    """Backoff and the platform / company caps: (reason, defer-until or None to suppress) or None."""
    company = intent.company_id
    if intent.automatic and company and state.unanswered.get(company, 0) >= config.backoff_after_unanswered:
        return Reason.BACKOFF, None
    shrink = config.budget_shrink_per_silent_company * silent_companies(state, config)
    deferrals = []
    # Every rule is checked: a suppressing rule wins over a deferring one (most restrictive wins),
    # so outreach over a company's cap never waits in a digest and goes out later.
    for rule in config.caps:
        if rule.scope == "channel":
            continue
        if rule.scope == "company" and not company:
            continue
        free_at = cap_blocks(rule, state, now, company=company, shrink=shrink if rule.scope == "platform" else 0)
        if free_at is not None:
            reason = Reason.PLATFORM_CAP if rule.scope == "platform" else Reason.COMPANY_CAP
            if rule.on_exceed != "defer":
                return reason, None
            deferrals.append((free_at, reason))
    if deferrals:
        free_at, reason = max(deferrals)
        return reason, free_at
    return None


def _postpone(intent, state, now, config, outcome, reason: Reason, until: datetime) -> Decision:
    """Defer to the first allowed moment at or after `until`, or merge into her open digest."""
    until = max(until, now)
    if intent.category != "critical":
        until = next_allowed(until, state.time_zone, *_quiet(state, config))
    digest = state.open_digest
    if intent.category == "outreach" and digest is not None and digest.holder_intent_id != intent.intent_id:
        return outcome(Action.DIGEST, Reason.DIGESTED, into=digest.holder_intent_id, detail=reason.value)
    return outcome(Action.DEFER, reason, until=until)


def _confirmation(intent: Intent, state: RecipientState, now: datetime, outcome) -> Decision:
    """The one confirmation after an opt-out, on the channel she left; never a second one."""
    channel = intent.channel
    status = state.channel(channel) if channel else ChannelStatus()
    if channel and status.opted_out_at and status.address and not status.confirmation_sent:
        return outcome(Action.SEND, Reason.CONFIRMATION, channel=channel, at=now)
    return outcome(Action.SUPPRESS, Reason.DUPLICATE if status.confirmation_sent else Reason.OPTED_OUT)


def apply_decision(
    state: RecipientState, intent: Intent, decision: Decision, config: PolicyConfig
) -> RecipientState:
    """The recipient state after a decision: counted sends, non-response streaks, digest."""
    if decision.action == Action.SEND:
        return _after_send(state, intent, decision, config)
    if decision.action == Action.DEFER and intent.category == "outreach" and decision.reason in _HOLDER_REASONS:
        if state.open_digest is None:
            return state.model_copy(update={"open_digest": OpenDigest(holder_intent_id=intent.intent_id)})
    if decision.action == Action.DIGEST and state.open_digest is not None:
        item = DigestItem(
            intent_id=intent.intent_id, company_id=intent.company_id, template=intent.template,
            variables=intent.variables, channel=intent.channel, automatic=intent.automatic,
            requested_at=intent.requested_at, attempt=intent.attempt,
        )
        digest = state.open_digest.model_copy(update={"items": (*state.open_digest.items, item)})
        return state.model_copy(update={"open_digest": digest})
    if decision.action == Action.SUPPRESS and _holds_digest(intent, state):
        return state.model_copy(update={"open_digest": digest_after_holder(state.open_digest)})
    return state


def digest_after_holder(digest: OpenDigest) -> OpenDigest | None:
    """The digest once its holder is cancelled or suppressed: the merged items are not dropped;
    the oldest one becomes the holder (to be re-submitted) and keeps the rest."""
    if not digest.items:
        return None
    first, *rest = digest.items
    return OpenDigest(holder_intent_id=first.intent_id, items=tuple(rest), holder_item=first)


def note_handover(decision: Decision, before: RecipientState, after: RecipientState) -> Decision:
    """Record in the decision which digest item took over from the suppressed holder, if any."""
    if not (decision.action == Action.SUPPRESS and before.open_digest is not None
            and before.open_digest.holder_intent_id == decision.intent_id
            and after.open_digest is not None and after.open_digest.holder_item is not None):
        return decision
    return decision.model_copy(update={"rules": {**decision.rules, "digest_handed_to": after.open_digest.holder_intent_id}})


def handed_over(intent: Intent, decision: Decision, state: RecipientState) -> DigestItem | None:
    """The digest item that took over from this intent (a suppressed holder), given the state after it."""
    digest = state.open_digest
    if decision.action != Action.SUPPRESS or digest is None or digest.holder_item is None:
        return None
    return digest.holder_item if decision.rules.get("digest_handed_to") == digest.holder_intent_id else None


def _after_send(state: RecipientState, intent: Intent, decision: Decision, config: PolicyConfig) -> RecipientState:
    channel = decision.channel
    assert channel is not None
    if decision.reason == Reason.CONFIRMATION:
        status = state.channel(channel).model_copy(update={"confirmation_sent": True})
        return state.model_copy(update={"channels": {**state.channels, channel: status}})
    companies = [intent.company_id] if intent.company_id else []
    digest = state.open_digest if _holds_digest(intent, state) else None
    if digest is not None:
        companies += [i.company_id for i in digest.items if i.company_id]
    record = SendRecord(
        at=decision.decided_at, channel=channel, category=intent.category, company_ids=tuple(dict.fromkeys(companies))
    )
    horizon = decision.decided_at - config.longest_window
    sends = tuple(s for s in state.sends if s.at >= horizon) + (record,)
    unanswered = dict(state.unanswered)
    if intent.category == "outreach":
        for company in record.company_ids:
            unanswered[company] = unanswered.get(company, 0) + 1
    update = {"sends": sends, "unanswered": unanswered}
    if digest is not None:
        update["open_digest"] = None
    return state.model_copy(update=update)
