"""Which steps a signal schedules, and which sequences it stops (pure).

Time: step offsets count from the moment the trigger happened for her (`signal.at`, or the
deadline it carries), never from when notify got round to it: a follow whose event arrives
late still gets day 1 on day 1. Steps are compared with notify's clock (`now`, the same clock
the runner fires by). A step already due when it is planned (a late event, or a clock moved
past it) is not dropped silently: the latest such step fires at once (within CATCH_UP_WITHIN
of its day, and before the deadline), the earlier ones are stored as `missed`, so her journey
shows them and she does not get a burst of old messages. Steps due before the trigger itself
(a reminder "3 days before" a deadline only 2 days away) were never part of this instance."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from tsunagu_notify.domain.journeys.definitions import SequenceDefinition
from tsunagu_notify.domain.journeys.signals import JourneySignal

_STEP_INTENTS = uuid.UUID("a3c1f0d2-5e4b-4b8a-9c7d-2f6e1a0b3c94")
# An overdue step later than this after its day is missed rather than sent late.
CATCH_UP_WITHIN = timedelta(days=2)


class PlannedStep(BaseModel):
    """One step of one sequence instance for one person: fires at most once (its id is unique)."""

    model_config = ConfigDict(frozen=True)

    step_id: str
    intent_id: str
    sequence: str
    step: str
    recipient_id: str
    instance: str
    company_id: str | None
    template: str
    category: str
    channel: str | None
    # When it fires (notify's clock): its day, or "now" for a late step caught up.
    due_at: datetime
    variables: dict[str, Any]
    # The moment its offset names (equal to due_at unless caught up or missed).
    scheduled_for: datetime | None = None
    # Planned as pending or missed; stored on as claimed, fired, skipped or stopped.
    status: str = "pending"
    # One request of a repeatable instance (a proposal of an interview): its steps get their own ids.
    round: str | None = None


class StopOrder(BaseModel):
    """Stop these sequences for her, narrowed to one instance or one company when given."""

    model_config = ConfigDict(frozen=True)

    recipient_id: str
    sequences: tuple[str, ...]
    instance: str | None = None
    company_id: str | None = None
    reason: str
    # A trigger that also stops its sequence (a new proposal replaces the earlier one) keeps its own round.
    keep_round: str | None = None


def step_id(sequence: str, recipient_id: str, instance: str, step: str, round: str | None = None) -> str:
    key = f"{sequence}|{recipient_id}|{instance}|{step}"
    return f"{key}|{round}" if round else key


def step_intent_id(step_key: str) -> str:
    """Deterministic: the same step always becomes the same intent (never sent twice)."""
    return str(uuid.uuid5(_STEP_INTENTS, step_key))


def plan(definition: SequenceDefinition, signal: JourneySignal, now: datetime) -> list[PlannedStep]:
    """The steps of `definition` started by `signal` (empty when it is not a trigger): future ones on
    their day, the latest overdue one now (caught up), earlier overdue ones as `missed`."""
    if signal.kind not in definition.triggers:
        return []
    anchor = signal.deadline if definition.anchor == "deadline" else signal.at
    if anchor is None:
        return []
    steps = sorted(((step, anchor + timedelta(days=step.days)) for step in definition.steps), key=lambda p: p[1])
    # Before the trigger happened, or (stop_at_deadline) not before the deadline: not part of this instance.
    steps = [(step, due) for step, due in steps if due >= signal.at and not _past_deadline(definition, signal, due)]
    overdue = [(step.name, due) for step, due in steps if due <= now]
    caught_up = overdue[-1][0] if overdue and _may_catch_up(definition, signal, overdue[-1][1], now) else None
    instance = signal.instance or "default"
    planned = []
    for step, due in steps:
        if due > now:
            fires_at, status = due, "pending"
        elif step.name == caught_up:
            fires_at, status = now, "pending"
        else:
            fires_at, status = due, "missed"
        key = step_id(definition.name, signal.recipient_id, instance, step.name, signal.round)
        planned.append(PlannedStep(
            step_id=key, intent_id=step_intent_id(key), sequence=definition.name, step=step.name,
            recipient_id=signal.recipient_id, instance=instance, company_id=signal.company_id,
            template=step.template, category=definition.category, channel=definition.channel, due_at=fires_at,
            scheduled_for=due, status=status, round=signal.round,
            variables={k: v for k, v in signal.variables.items() if v is not None},
        ))
    return planned


def _past_deadline(definition: SequenceDefinition, signal: JourneySignal, moment: datetime) -> bool:
    return definition.stop_at_deadline and signal.deadline is not None and moment >= signal.deadline


def _may_catch_up(definition: SequenceDefinition, signal: JourneySignal, due: datetime, now: datetime) -> bool:
    """A late step is still worth sending: not too late, and (stop_at_deadline) before the deadline."""
    return now - due <= CATCH_UP_WITHIN and not _past_deadline(definition, signal, now)


def stop_order(definitions: tuple[SequenceDefinition, ...], signal: JourneySignal) -> StopOrder | None:
    """The sequences this signal is a goal of, scoped to its instance or company."""
    names = tuple(d.name for d in definitions if signal.kind in d.goals)
    if not names:
        return None
    return StopOrder(recipient_id=signal.recipient_id, sequences=names, instance=signal.instance,
                     company_id=None if signal.instance else signal.company_id, reason=f"goal:{signal.kind}",
                     keep_round=signal.round)
