"""Which steps a signal schedules, and which sequences it stops (pure)."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from tsunagu_notify.journeys.definitions import SequenceDefinition
from tsunagu_notify.journeys.signals import JourneySignal

_STEP_INTENTS = uuid.UUID("a3c1f0d2-5e4b-4b8a-9c7d-2f6e1a0b3c94")


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
    due_at: datetime
    variables: dict[str, Any]


class StopOrder(BaseModel):
    """Stop these sequences for her, narrowed to one instance or one company when given."""

    model_config = ConfigDict(frozen=True)

    recipient_id: str
    sequences: tuple[str, ...]
    instance: str | None = None
    company_id: str | None = None
    reason: str


def step_id(sequence: str, recipient_id: str, instance: str, step: str) -> str:
    return f"{sequence}|{recipient_id}|{instance}|{step}"


def step_intent_id(step_key: str) -> str:
    """Deterministic: the same step always becomes the same intent (never sent twice)."""
    return str(uuid.uuid5(_STEP_INTENTS, step_key))


def plan(definition: SequenceDefinition, signal: JourneySignal, now: datetime) -> list[PlannedStep]:
    """The future steps of `definition` started by `signal` (empty when it is not a trigger)."""
    if signal.kind not in definition.triggers:
        return []
    anchor = signal.deadline if definition.anchor == "deadline" else signal.at
    if anchor is None:
        return []
    instance = signal.instance or "default"
    planned = []
    for step in definition.steps:
        due = anchor + timedelta(days=step.days)
        if due <= now:
            continue
        if definition.stop_at_deadline and signal.deadline is not None and due >= signal.deadline:
            continue
        key = step_id(definition.name, signal.recipient_id, instance, step.name)
        planned.append(PlannedStep(
            step_id=key, intent_id=step_intent_id(key), sequence=definition.name, step=step.name,
            recipient_id=signal.recipient_id, instance=instance, company_id=signal.company_id,
            template=step.template, category=definition.category, channel=definition.channel, due_at=due,
            variables={k: v for k, v in signal.variables.items() if v is not None},
        ))
    return planned


def stop_order(definitions: tuple[SequenceDefinition, ...], signal: JourneySignal) -> StopOrder | None:
    """The sequences this signal is a goal of, scoped to its instance or company."""
    names = tuple(d.name for d in definitions if signal.kind in d.goals)
    if not names:
        return None
    return StopOrder(recipient_id=signal.recipient_id, sequences=names, instance=signal.instance,
                     company_id=None if signal.instance else signal.company_id, reason=f"goal:{signal.kind}")
