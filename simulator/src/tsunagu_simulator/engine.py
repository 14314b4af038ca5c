"""One student's season through notify's real contact policy, on a simulated clock.

Deciding is `tsunagu_notify.domain.policy.decide`, the state after a decision is
`apply_decision`, her directory entry comes from `domain.directory` (preferences, LINE
link, opt-out, answered) and intents are mapped from `NotificationRequested` by the
domain's `intent_from` — the same functions the pipeline calls, as are a digest holder's
message (`message_of`) and what the channel workers add to every message (`message_variables`:
her name, the sender, the unsubscribe link). One piece lives only in notify's I/O code and is
mirrored here: a deferred intent is decided again at `until` with attempt + 1 (a timer of her
partition's owner).
"""

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tsunagu_notify.domain.delivery import message_variables
from tsunagu_notify.domain.directory import after_preferences, answered, line_followed, opted_out
from tsunagu_notify.domain.intents import intent_from
from tsunagu_notify.domain.model import Action, Decision, Intent, RecipientState
from tsunagu_notify.domain.policy import CONFIRMATION_TEMPLATE, apply_decision, decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.recipient import message_of
from tsunagu_notify.domain.templates import Sender, TemplateRefused, render
from tsunagu_shared.events import ChannelConsent, ContactPreferencesChanged, NotificationRequested

from tsunagu_simulator.season import Season, Student

CONSENT_AT = datetime(2025, 4, 1, tzinfo=UTC)
UNSUBSCRIBE_BASE = "https://tsunagu.example/unsubscribe/"
SENDER = Sender()
# Heap priorities at one instant: her own signals, then due deferrals (scheduler), then new intents.
_SIGNAL, _DUE, _NEW = 0, 1, 2
# A deferral chain longer than this is a policy loop, reported rather than followed forever.
MAX_ATTEMPTS = 200

DecideFn = Callable[[Intent, RecipientState, datetime, PolicyConfig], Decision]
RenderFn = Callable[..., object]


@dataclass(slots=True)
class Delivery:
    """One message that went out (a digest is one delivery naming several companies)."""

    at: float
    intent_id: str
    channel: str
    category: str
    template: str
    company_ids: tuple
    body: str
    company_name: str
    attempt: int


@dataclass(slots=True)
class Lived:
    """Everything one student lived through: decisions (every attempt), deliveries, fates."""

    student: Student
    decisions: list = field(default_factory=list)  # (at, intent_id, attempt, action, reason, channel, until, into)
    deliveries: list = field(default_factory=list)
    intents: dict = field(default_factory=dict)  # intent_id -> (requested_at, template, category, company_id)
    fate: dict = field(default_factory=dict)  # intent_id -> (outcome, at)
    refused: list = field(default_factory=list)  # (intent_id, error) templates the renderer refused
    loops: int = 0


def preferences_event(student: Student) -> ContactPreferencesChanged:
    """Her contact preferences as profile publishes them."""
    consent = {c: ChannelConsent(consented=ok, consented_at=CONSENT_AT if ok else None, source="profile")
               for c, ok in student.consent.items() if c != "line"}
    extra = {}
    if student.quiet_start:
        extra = {"quiet_hours_start": student.quiet_start, "quiet_hours_end": student.quiet_end}
    return ContactPreferencesChanged(
        candidate_id=student.student_id, display_name=student.name, email=f"{student.student_id}@example.jp",
        phone=f"+8180{student.index:08d}", channels=consent, preferred_channel=student.preferred,
        time_zone=student.time_zone, locale=student.locale, changed_at=CONSENT_AT, **extra,
    )


def line_user_id(student: Student) -> str:
    return f"U{student.index:032x}"


def initial_state(student: Student) -> RecipientState:
    """Her directory entry: preferences from profile, then the LINE link if she made one."""
    state = after_preferences(RecipientState(recipient_id=student.student_id), preferences_event(student))
    if student.consent["line"]:
        state = line_followed(state, line_user_id(student), CONSENT_AT)
    return state


def requests_for(season: Season, student: Student) -> list[NotificationRequested]:
    """Her intents as NotificationRequested events (what the pipeline publishes on notify.intents)."""
    out = []
    for n, spec in enumerate(season.intents.get(student.index, ())):
        variables = dict(spec.variables)
        company_id = None
        if spec.company >= 0:
            company = season.companies[spec.company]
            company_id = company.company_id
            variables |= {"company_name": company.name, "recruiter_name": company.recruiter}
        out.append(NotificationRequested(
            intent_id=f"{student.student_id}:{n:05d}", recipient_id=student.student_id, template=spec.template,
            category=spec.category, company_id=company_id, variables=variables, channel=spec.channel,
            requested_at=_dt(spec.at),
        ))
    return out


_automatic: dict[str, bool] = {}


def _intent(request: NotificationRequested) -> Intent:
    """notify's own mapping (intent_from), memoised per template for its derived fields.

    Building every Intent with validation cost more than deciding it; the fields are copied
    from a validated request, and `automatic` comes from intent_from itself."""
    if request.template not in _automatic:
        _automatic[request.template] = intent_from(request).automatic
    return Intent.model_construct(
        intent_id=request.intent_id, recipient_id=request.recipient_id, template=request.template,
        category=request.category, company_id=request.company_id, variables=request.variables,
        channel=request.channel, not_before=request.not_before, automatic=_automatic[request.template],
        requested_at=request.requested_at, attempt=0,
    )


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def live_season(season: Season, student: Student, config: PolicyConfig, *, decide_fn: DecideFn = decide,
                render_fn: RenderFn = render) -> Lived:
    """Replay her season: every intent decided by the policy at its moment, deferrals re-submitted."""
    lived = Lived(student=student)
    state = initial_state(student)
    heap: list = []
    seq = 0
    for request in requests_for(season, student):
        intent = _intent(request)
        lived.intents[intent.intent_id] = (request.requested_at.timestamp(), intent.template, intent.category,
                                           intent.company_id)
        heap.append((request.requested_at.timestamp(), _NEW, seq, "intent", intent))
        seq += 1
    for signal in season.signals.get(student.index, ()):
        heap.append((signal.at, _SIGNAL, seq, signal.kind, signal))
        seq += 1
    heapq.heapify(heap)
    end = season.end
    while heap:
        at, _, _, kind, item = heapq.heappop(heap)
        if at >= end:
            break
        now = _dt(at)
        if kind == "reply":
            state = answered(state, season.companies[item.company].company_id)
        elif kind == "opt_out":
            changed = opted_out(state, item.channel, item.source, now) if state.known else None
            if changed is not None:
                state = changed
                if item.source == "sms_stop":
                    confirmation = Intent(intent_id=f"{student.student_id}:stop:{item.channel}",
                                          recipient_id=student.student_id,
                                          template=CONFIRMATION_TEMPLATE, category="transactional",
                                          channel=item.channel, requested_at=now)
                    lived.intents[confirmation.intent_id] = (at, CONFIRMATION_TEMPLATE, "transactional", None)
                    heapq.heappush(heap, (at, _NEW, seq, "intent", confirmation))
                    seq += 1
        else:
            state, retry = _decide_one(lived, state, item, now, at, config, decide_fn, render_fn)
            if retry is not None:
                heapq.heappush(heap, (retry[0], _DUE, seq, "intent", retry[1]))
                seq += 1
    for intent_id in lived.intents:
        lived.fate.setdefault(intent_id, ("pending_at_end", None))
    return lived


def _decide_one(lived: Lived, state: RecipientState, intent: Intent, now: datetime, at: float,
                config: PolicyConfig, decide_fn: DecideFn, render_fn: RenderFn):
    decision = decide_fn(intent, state, now, config)
    before = state
    state = apply_decision(state, intent, decision, config)
    until = decision.until.timestamp() if decision.until else None
    lived.decisions.append((at, intent.intent_id, intent.attempt, decision.action.value, decision.reason.value,
                            decision.channel, until, decision.into))
    action = decision.action
    if action == Action.SEND:
        _deliver(lived, before, intent, decision, at, render_fn)
    elif action == Action.SUPPRESS:
        lived.fate[intent.intent_id] = ("suppressed:" + decision.reason.value, at)
        _drop_digest(lived, before, intent, at)
    elif action == Action.DIGEST:
        lived.fate[intent.intent_id] = ("digested_waiting", at)
    elif action == Action.DEFER:
        if intent.attempt + 1 >= MAX_ATTEMPTS:
            lived.loops += 1
            lived.fate[intent.intent_id] = ("policy_loop", at)
            return state, None
        due = max(until, at) if until is not None else at
        return state, (due, intent.model_copy(update={"attempt": intent.attempt + 1}))
    return state, None


def _drop_digest(lived: Lived, before: RecipientState, intent: Intent, at: float) -> None:
    digest = before.open_digest
    if digest is not None and digest.holder_intent_id == intent.intent_id:
        for item in digest.items:
            lived.fate[item.intent_id] = ("lost_with_digest_holder", at)


def _deliver(lived: Lived, before: RecipientState, intent: Intent, decision: Decision, at: float,
             render_fn: RenderFn) -> None:
    template_name, variables = message_of(intent, before)
    company_ids = [intent.company_id] if intent.company_id else []
    digest = before.open_digest
    if digest is not None and digest.holder_intent_id == intent.intent_id and digest.items:
        company_ids += [i.company_id for i in digest.items if i.company_id]
        for item in digest.items:
            lived.fate[item.intent_id] = ("sent_in_digest", at)
    variables = message_variables(variables, recipient_name=before.display_name, channel=decision.channel,
                                  unsubscribe_url=UNSUBSCRIBE_BASE + intent.recipient_id)
    lived.fate[intent.intent_id] = ("sent" if intent.attempt == 0 else "sent_after_deferral", at)
    try:
        body = render_fn(template_name, locale=before.locale, channel=decision.channel, variables=variables,
                         sender=SENDER).body
    except TemplateRefused as exc:
        lived.refused.append((intent.intent_id, str(exc)))
        lived.fate[intent.intent_id] = ("refused_by_renderer", at)
        return
    lived.deliveries.append(Delivery(
        at=at, intent_id=intent.intent_id, channel=decision.channel, category=intent.category,
        template=template_name, company_ids=tuple(dict.fromkeys(company_ids)), body=body,
        company_name=variables["company_name"], attempt=intent.attempt,
    ))
