"""Orchestration of journeys: signals start and stop stored steps; a loop fires due steps as intents.

A fired step becomes a NotificationRequested with a deterministic intent id, written
through the intents outbox like every other intent, so it passes the same policy. A step
is claimed (with a lease) before it fires and marked fired after: a crash in between
re-fires it, and the deterministic intent id makes that second request a no-op."""

from dataclasses import dataclass
from datetime import timedelta

from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationRequested

from tsunagu_notify.adapters.journeys import JourneyStore
from tsunagu_notify.adapters.recipient_stream import RecipientChanges
from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.domain.journeys.definitions import SequenceDefinition, sequences
from tsunagu_notify.domain.journeys.planner import PlannedStep, plan, stop_order
from tsunagu_notify.domain.journeys.segments import matches
from tsunagu_notify.domain.journeys.signals import JourneySignal

SOURCE = "tsunagu/notify"


@dataclass
class JourneyEngine:
    journeys: JourneyStore
    store: NotifyStore
    changes: RecipientChanges
    clock: Clock
    definitions: tuple[SequenceDefinition, ...] = ()

    def __post_init__(self) -> None:
        self.definitions = self.definitions or sequences()
        self._by_name = {d.name: d for d in self.definitions}

    async def on_signal(self, signal: JourneySignal) -> None:
        """Stop the sequences this signal is a goal of; start those it triggers (idempotent)."""
        order = stop_order(self.definitions, signal)
        if order is not None:
            fired = await self.journeys.stop(order, self.clock.now())
            if fired:
                await self.changes.cancel_intents(signal.recipient_id, fired, order.reason, self.clock.now())
        for definition in self.definitions:
            for step in plan(definition, signal, self.clock.now()):
                await self.journeys.add(step)

    async def fire_due(self) -> int:
        """Fire every step that fell due and that this process claims first; how many fired."""
        fired = 0
        for step_id in await self.journeys.due(self.clock.now()):
            step = await self.journeys.claim(step_id, self.clock.now(), timedelta(minutes=5))
            if step is not None:
                await self.fire(step)
                fired += 1
        return fired

    async def fire(self, step: PlannedStep) -> None:
        """Turn one claimed, due step into an intent (or skip it when she left the segment)."""
        now = self.clock.now()
        definition = self._by_name.get(step.sequence)
        if definition is not None and definition.segment is not None:
            attributes = await self.journeys.attributes_of(step.recipient_id)
            answers = await self.journeys.answers_of(step.recipient_id)
            if not matches(definition.segment, attributes, answers):
                await self.journeys.finish(step, "skipped", now)
                return
        variables = dict(step.variables)
        if step.company_id and not variables.get("company_name"):
            name = await self.store.name_of(f"company:{step.company_id}")
            if name:
                variables["company_name"] = name
        request = NotificationRequested(
            intent_id=step.intent_id, recipient_id=step.recipient_id, template=step.template,
            category=step.category, company_id=step.company_id, channel=step.channel,
            variables={**variables, "sequence": step.sequence, "step": step.step},
            source_event_id=step.step_id, requested_at=now,
        )
        await self.store.request_intent(step.intent_id, Envelope.wrap(request, source=SOURCE))
        if not await self.journeys.finish(step, "fired", now):
            # A goal stopped the sequence while this step was firing: its intent must not go out.
            await self.changes.cancel_intents(step.recipient_id, [step.intent_id], "goal_reached", now)
