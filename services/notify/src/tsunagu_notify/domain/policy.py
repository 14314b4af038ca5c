"""The contact policy (docs/notify.md, "The policy"): a pure function of (intent, recipient state, clock).

`decide` answers send / defer / digest / suppress with a reason code; `apply_decision`
gives the recipient state after the decision (counters, digest, confirmation). Both are
pure: the handler loads the state, calls them and stores the result atomically.
"""

from datetime import datetime, time
from typing import Any

from tsunagu_notify.domain.caps import cap_free_at, channel_cap_free_at, outreach_history, silent_companies
from tsunagu_notify.domain.local_time import next_allowed, quiet_at, quiet_window, zone
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
    changed,
    unchecked,
)
from tsunagu_notify.domain.policy_config import PolicyConfig, PreparedPolicy, prepared

CONFIRMATION_TEMPLATE = "opt_out_confirmation"
_HOLDER_REASONS = (Reason.QUIET_HOURS, Reason.MIN_GAP, Reason.PLATFORM_CAP)
# Members named on every decision, as module constants: Python 3.11 finds an enum member through
# EnumType.__getattr__, several times slower than a global.
SEND, DEFER, DIGEST, SUPPRESS = Action.SEND, Action.DEFER, Action.DIGEST, Action.SUPPRESS
ALLOWED, ESCALATED, DIGEST_DUE, CONFIRMATION = Reason.ALLOWED, Reason.ESCALATED, Reason.DIGEST_DUE, Reason.CONFIRMATION
# The fields a Decision is built with on each path (the rest keep their defaults).
_DECIDED = ("intent_id", "recipient_id", "action", "reason", "decided_at", "attempt")
_SENT = frozenset((*_DECIDED, "channel", "at"))
_DEFERRED = frozenset((*_DECIDED, "until"))
_DIGESTED = frozenset((*_DECIDED, "into", "detail"))
_OTHER = frozenset(_DECIDED)
_RECORDED = frozenset(("at", "channel", "category", "company_ids"))
# A model's fields as read from its __dict__ (see decide()).
Fields = dict[str, Any]


def decide(intent: Intent, state: RecipientState, now: datetime, config: PolicyConfig) -> Decision:
    """Apply every contact-policy rule (docs/notify.md, "The policy") to one intent; the most restrictive wins."""
    # Fields are read from the models' __dict__: each attribute read of a pydantic model goes
    # through its __getattr__ hook, and deciding reads a few dozen of them.
    ask, her = intent.__dict__, state.__dict__
    refused = _before_channels(ask, her, state, now)
    if refused is not None:
        return refused

    policy = prepared(config)
    requested = ask["channel"]
    order = (requested,) if requested else policy.channel_order(her["preferred_channel"])
    channels = her["channels"]
    # Her first usable channel; the ones after it are looked at only if its caps are full.
    for channel in order:
        status = channels.get(channel)
        if status is not None and status.usable:
            break
    else:
        opted_out = any(state.channel(c).opted_out_at for c in order)
        return _decision(ask, now, SUPPRESS, Reason.OPTED_OUT if opted_out else Reason.NO_CONSENT)

    if ask["category"] != "critical":  # critical passes caps, quiet hours and the gap; it is counted on the channel
        held, channel = _limits_and_timing(ask, her, now, policy, order, channel)
        if held is not None:
            return held

    digest = her["open_digest"]
    if digest is not None and digest.holder_intent_id == ask["intent_id"]:
        reason = DIGEST_DUE
    else:
        reason = ALLOWED if channel == order[0] else ESCALATED
    return _decision(ask, now, SEND, reason, channel, now)


def _before_channels(ask: Fields, her: Fields, state: RecipientState, now: datetime) -> Decision | None:
    """The answers that need no channel: an unknown recipient, a blocked company, an opt-out
    confirmation, an intent not due yet. None when the intent goes on to her channels."""
    if not her["known"]:
        return _decision(ask, now, SUPPRESS, Reason.UNKNOWN_RECIPIENT)
    company = ask["company_id"]
    if company and company in her["blocked_companies"]:
        return _decision(ask, now, SUPPRESS, Reason.BLOCKED)
    if ask["template"] == CONFIRMATION_TEMPLATE:
        return _confirmation(ask, state, now)
    not_before = ask["not_before"]
    if not_before and now < not_before:
        return _decision(ask, now, DEFER, Reason.NOT_BEFORE, until=not_before)
    return None


def _limits_and_timing(ask: Fields, her: Fields, now: datetime, policy: PreparedPolicy, order: tuple[Channel, ...],
                       channel: Channel) -> tuple[Decision | None, Channel]:
    """Outreach limits, channel caps (escalating to her next open channel), quiet hours and the gap
    between outreach: the decision that holds the intent back, or None and the channel to send on."""
    # Her zone once per decision: calendar-day caps and quiet hours both read it.
    local = now.astimezone(zone(her["time_zone"]))
    sends = her["sends"]
    outreach = None
    if ask["category"] == "outreach":
        outreach, from_company = outreach_history(sends, ask["company_id"])
        blocked = _outreach_limits(ask, her, now, local, outreach, from_company, policy)
        if blocked is not None:
            reason, until = blocked
            if until is None:
                return _decision(ask, now, SUPPRESS, reason), channel
            return _postpone(ask, her, now, policy, reason, until), channel

    if channel in policy.channel_caps:
        free_at = channel_cap_free_at(channel, sends, now, local, policy)
        if free_at is not None:
            open_or_free_at = _next_open_channel(order, channel, free_at, her["channels"], sends, now, local, policy)
            if isinstance(open_or_free_at, datetime):
                return _postpone(ask, her, now, policy, Reason.CHANNEL_CAP, open_or_free_at), channel
            channel = open_or_free_at

    if quiet_at(local, _her_quiet_window(her, policy)):
        return _postpone(ask, her, now, policy, Reason.QUIET_HOURS, now), channel
    if outreach:
        gap_ends = max(outreach) + policy.min_gap
        if now < gap_ends:
            return _postpone(ask, her, now, policy, Reason.MIN_GAP, gap_ends), channel
    return None, channel


def _her_quiet_window(her: Fields, policy: PreparedPolicy) -> tuple[time, time]:
    """Her own quiet hours, each end defaulting to the policy's; the policy's prepared window when she set none."""
    start, end = her["quiet_hours_start"], her["quiet_hours_end"]
    if not (start or end) and policy.quiet_hours is not None:
        return policy.quiet_hours
    return quiet_window(start or policy.quiet_hours_start, end or policy.quiet_hours_end)


def _next_open_channel(order: tuple[Channel, ...], full: Channel, full_until: datetime, channels: Fields,
                       sends: tuple[SendRecord, ...], now: datetime, local: datetime,
                       policy: PreparedPolicy) -> Channel | datetime:
    """The first usable channel after `full` (her first usable one, whose caps are full) whose caps
    allow one more contact; or, when there is none, the earliest time one of them frees."""
    frees_at = [full_until]
    for channel in order[order.index(full) + 1:]:
        status = channels.get(channel)
        if status is None or not status.usable:
            continue
        free_at = channel_cap_free_at(channel, sends, now, local, policy) if channel in policy.channel_caps else None
        if free_at is None:
            return channel
        frees_at.append(free_at)
    return min(frees_at)


def _decision(ask: Fields, now: datetime, action: Action, reason: Reason, channel: Channel | None = None,
              at: datetime | None = None, *, until: datetime | None = None, into: str | None = None,
              detail: str | None = None) -> Decision:
    """The Decision for an intent (its fields), built from values that are already valid (`unchecked`).
    A send passes its channel and time by position (cheaper than by keyword, on the hottest path)."""
    if channel is not None:
        given = _SENT
    elif until is not None:
        given = _DEFERRED
    elif into is not None:
        given = _DIGESTED
    else:
        given = _OTHER
    return unchecked(Decision, {
        "intent_id": ask["intent_id"], "recipient_id": ask["recipient_id"], "action": action, "reason": reason,
        "channel": channel, "at": at, "until": until, "into": into, "detail": "" if detail is None else detail,
        "decided_at": now, "attempt": ask["attempt"], "rules": {},
    }, set(given))


def channel_order(intent: Intent, state: RecipientState, config: PolicyConfig) -> list[Channel]:
    """The requested channel alone, or her preferred one first and then the escalation order."""
    if intent.channel:
        return [intent.channel]
    return list(prepared(config).channel_order(state.preferred_channel))


def _holds_digest(intent: Intent, state: RecipientState) -> bool:
    return state.open_digest is not None and state.open_digest.holder_intent_id == intent.intent_id


def _outreach_limits(ask: Fields, her: Fields, now: datetime, local: datetime, outreach: list[datetime],
                     from_company: list[datetime], policy: PreparedPolicy) -> tuple[Reason, datetime | None] | None:
    """Backoff and the platform / company caps: (reason, defer-until or None to suppress) or None."""
    company = ask["company_id"]
    unanswered = her["unanswered"]
    if ask["automatic"] and company and unanswered.get(company, 0) >= policy.backoff_after_unanswered:
        return Reason.BACKOFF, None
    shrink = policy.budget_shrink_per_silent_company * silent_companies(unanswered, policy) if unanswered else 0
    deferrals = []
    # Every rule is checked: a suppressing rule wins over a deferring one (most restrictive wins),
    # so outreach over a company's cap never waits in a digest and goes out later.
    for cap in policy.outreach_caps:
        if cap.platform:
            times, limit = outreach, max(1, cap.limit - shrink) if shrink else cap.limit
        elif company:
            times, limit = from_company, cap.limit
        else:
            continue
        if len(times) < limit:  # not even her whole history fills it
            continue
        free_at = cap_free_at(cap, times, now, local, limit)
        if free_at is not None:
            reason = Reason.PLATFORM_CAP if cap.platform else Reason.COMPANY_CAP
            if not cap.defers:
                return reason, None
            deferrals.append((free_at, reason))
    if deferrals:
        free_at, reason = max(deferrals)
        return reason, free_at
    return None


def _postpone(ask: Fields, her: Fields, now: datetime, policy: PreparedPolicy, reason: Reason,
              until: datetime) -> Decision:
    """Defer to the first allowed moment at or after `until`, or merge into her open digest."""
    until = max(until, now)
    if ask["category"] != "critical":
        until = next_allowed(until, her["time_zone"], her["quiet_hours_start"] or policy.quiet_hours_start,
                             her["quiet_hours_end"] or policy.quiet_hours_end)
    digest = her["open_digest"]
    if ask["category"] == "outreach" and digest is not None and digest.holder_intent_id != ask["intent_id"]:
        return _decision(ask, now, DIGEST, Reason.DIGESTED, into=digest.holder_intent_id, detail=reason.value)
    return _decision(ask, now, DEFER, reason, until=until)


def _confirmation(ask: Fields, state: RecipientState, now: datetime) -> Decision:
    """The one confirmation after an opt-out, on the channel she left; never a second one."""
    channel = ask["channel"]
    status = state.channel(channel) if channel else ChannelStatus()
    if channel and status.opted_out_at and status.address and not status.confirmation_sent:
        return _decision(ask, now, SEND, CONFIRMATION, channel, now)
    return _decision(ask, now, SUPPRESS, Reason.DUPLICATE if status.confirmation_sent else Reason.OPTED_OUT)


def apply_decision(
    state: RecipientState, intent: Intent, decision: Decision, config: PolicyConfig
) -> RecipientState:
    """The recipient state after a decision: counted sends, non-response streaks, digest."""
    decided = decision.__dict__  # see decide()
    action = decided["action"]
    if action == SEND:
        return _after_send(state, intent, decided, config)
    if (action == DEFER and intent.category == "outreach" and decision.reason in _HOLDER_REASONS
            and state.open_digest is None):
        return changed(state, open_digest=OpenDigest(holder_intent_id=intent.intent_id))
    if action == DIGEST and state.open_digest is not None:
        item = DigestItem(
            intent_id=intent.intent_id, company_id=intent.company_id, template=intent.template,
            variables=intent.variables, channel=intent.channel, automatic=intent.automatic,
            requested_at=intent.requested_at, attempt=intent.attempt,
        )
        return changed(state, open_digest=changed(state.open_digest, items=(*state.open_digest.items, item)))
    if action == SUPPRESS and state.open_digest is not None and _holds_digest(intent, state):
        return changed(state, open_digest=digest_after_holder(state.open_digest))
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
    handed_to = after.open_digest.holder_intent_id
    return decision.model_copy(update={"rules": {**decision.rules, "digest_handed_to": handed_to}})


def handed_over(intent: Intent, decision: Decision, state: RecipientState) -> DigestItem | None:
    """The digest item that took over from this intent (a suppressed holder), given the state after it."""
    digest = state.open_digest
    if decision.action != Action.SUPPRESS or digest is None or digest.holder_item is None:
        return None
    return digest.holder_item if decision.rules.get("digest_handed_to") == digest.holder_intent_id else None


def _after_send(state: RecipientState, intent: Intent, decided: Fields, config: PolicyConfig) -> RecipientState:
    ask, her = intent.__dict__, state.__dict__
    channel = decided["channel"]
    assert channel is not None
    if decided["reason"] == CONFIRMATION:
        status = changed(state.channel(channel), confirmation_sent=True)
        return changed(state, channels={**her["channels"], channel: status})
    company = ask["company_id"]
    digest = her["open_digest"]
    if digest is not None and digest.holder_intent_id != ask["intent_id"]:
        digest = None  # not hers to deliver
    if digest is None:
        company_ids = (company,) if company else ()
    else:
        companies = [company] if company else []
        companies += [i.company_id for i in digest.items if i.company_id]
        company_ids = tuple(dict.fromkeys(companies))
    at = decided["decided_at"]
    record = unchecked(SendRecord, {"at": at, "channel": channel, "category": ask["category"],
                                    "company_ids": company_ids}, set(_RECORDED))
    # Older sends than the longest cap window count for nothing any more.
    horizon = at - prepared(config).longest_window
    sends = (*[s for s in her["sends"] if s.at >= horizon], record)
    unanswered = dict(her["unanswered"])
    if ask["category"] == "outreach":
        for company in company_ids:
            unanswered[company] = unanswered.get(company, 0) + 1
    if digest is not None:
        return changed(state, sends=sends, unanswered=unanswered, open_digest=None)
    return changed(state, sends=sends, unanswered=unanswered)
