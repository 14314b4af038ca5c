"""The policy stage: load her state, decide, store state + decision + events in one write,
then make the decision happen (decision log, deferral, delivery) idempotently."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    NotificationCancelled, NotificationDeferred, NotificationRequested, NotificationSuppressed,
)
from tsunagu_shared.kafka.consumer import TransientError
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_notify.adapters.delivery_queue import DeliveryQueue, idempotency_key
from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.clock import Clock
from tsunagu_notify.domain.model import Action, Decision, Intent, Reason, RecipientState
from tsunagu_notify.domain.policy import apply_decision, decide, handed_over, note_handover
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.domain.templates import UnknownTemplate, template

SOURCE = "tsunagu/notify"
_MAX_CONFLICTS = 20


def intent_from(event: NotificationRequested) -> Intent:
    return Intent(
        intent_id=event.intent_id, recipient_id=event.recipient_id, template=event.template,
        category=event.category, company_id=event.company_id, variables=event.variables, channel=event.channel,
        not_before=event.not_before, automatic=event.template.endswith("_reminder"),
        requested_at=event.requested_at,
    )


@dataclass
class PolicyStage:
    store: NotifyStore
    deliveries: DeliveryQueue
    relay: OutboxRelay
    clock: Clock
    config: PolicyConfig
    # Called with a delivery's key when it is queued, so a channel worker takes it without a search.
    wake_delivery: Callable[[str], None] = lambda key: None

    async def on_intent(self, envelope: Envelope) -> None:
        """An intent from notify.intents (ours or another service's)."""
        event = envelope.event()
        if isinstance(event, NotificationRequested):
            await self.handle(intent_from(event))
        elif isinstance(event, NotificationCancelled):
            # Same partition as her intents, so a cancelled intent was requested before this arrives.
            await self.cancel(event.recipient_id, event.intent_ids, event.reason)

    async def handle(self, intent: Intent) -> Decision:
        """Decide one intent exactly once per attempt, however often it is handed in."""
        # the two reads are independent: one round trip of waiting instead of two
        cancelled, record = await asyncio.gather(self.store.cancellation_of(intent.intent_id),
                                                 self.store.load(intent.recipient_id))
        for attempt in range(_MAX_CONFLICTS):
            if attempt:
                record = await self.store.load(intent.recipient_id)
            earlier = record.earlier_decision(intent)
            if earlier is not None:
                # repair after a crash; idempotent
                await self._carry_out(intent, earlier, record.state, record.state)
                return earlier
            decision = self._decide(intent, record.state, cancelled)
            new_state = apply_decision(record.state, intent, decision, self.config)
            decision = note_handover(decision, record.state, new_state)
            if await self.store.save(record, new_state, decision=decision, events=self._events(decision)):
                self.relay.wake()
                await self._carry_out(intent, decision, record.state, new_state)
                return decision
        raise TransientError(f"recipient {intent.recipient_id} kept changing; retrying later")

    async def resubmit_due(self) -> int:
        """Put deferred intents that fell due through the policy again; how many went."""
        resubmitted = 0
        for intent_id in await self.store.due_scheduled(self.clock.now()):
            intent = await self.store.claim_scheduled(intent_id, self.clock.now(), timedelta(minutes=5), due_only=True)
            if intent is not None:
                await self.handle(intent)
                await self.store.finish_scheduled(intent)
                resubmitted += 1
        return resubmitted

    async def cancel(self, recipient_id: str, intent_ids: list[str], reason: str) -> None:
        """These intents must not be sent: later decisions say `cancelled`; waiting deferrals are decided now.

        Intents already sent are unaffected (their earlier decision stands)."""
        await self.store.cancel_intents(recipient_id, intent_ids, reason, self.clock.now())
        for intent_id in intent_ids:
            while (intent := await self.store.claim_scheduled(intent_id, self.clock.now(), timedelta(minutes=5))):
                await self.handle(intent)
                await self.store.finish_scheduled(intent)

    def _decide(self, intent: Intent, state: RecipientState, cancelled: str | None = None) -> Decision:
        now = self.clock.now()
        if cancelled is not None:
            return Decision(intent_id=intent.intent_id, recipient_id=intent.recipient_id, action=Action.SUPPRESS,
                            reason=Reason.CANCELLED, decided_at=now, attempt=intent.attempt, detail=cancelled)
        try:
            template(intent.template)
        except UnknownTemplate:
            return Decision(intent_id=intent.intent_id, recipient_id=intent.recipient_id, action=Action.SUPPRESS,
                            reason=Reason.UNKNOWN_TEMPLATE, decided_at=now, attempt=intent.attempt,
                            detail=intent.template)
        return decide(intent, state, now, self.config)

    def _events(self, decision: Decision) -> tuple[Envelope, ...]:
        common = {"intent_id": decision.intent_id, "recipient_id": decision.recipient_id, "decided_at": decision.decided_at}
        if decision.action == Action.SUPPRESS:
            event = NotificationSuppressed(reason=decision.reason.value, **common)
        elif decision.action == Action.DEFER:
            event = NotificationDeferred(reason=decision.reason.value, until=decision.until, **common)
        elif decision.action == Action.DIGEST:
            event = NotificationDeferred(reason=f"digested:{decision.into}", until=decision.decided_at, **common)
        else:
            return ()
        return (Envelope.wrap(event, source=SOURCE),)

    async def _carry_out(self, intent: Intent, decision: Decision, before: RecipientState,
                         after: RecipientState) -> None:
        # Independent idempotent writes, issued together (the decision is already in her document).
        effects = [self.store.record_decision(decision, intent)]
        if decision.action == Action.DEFER:
            effects.append(self.store.schedule(intent.model_copy(update={"attempt": intent.attempt + 1}),
                                               decision.until))
        elif decision.action == Action.SEND:
            effects.append(self._enqueue_delivery(intent, decision, before))
        elif (holder := handed_over(intent, decision, after)) is not None:
            # The merged items outlive a cancelled/suppressed holder: the next one holds them now
            # and is decided again at once (it was never scheduled itself).
            effects.append(self.store.schedule(holder.as_intent(intent.recipient_id, decision.decided_at),
                                               decision.decided_at))
        await asyncio.gather(*effects)

    async def _enqueue_delivery(self, intent: Intent, decision: Decision, before: RecipientState) -> None:
        variables, template_name = dict(intent.variables), intent.template
        digest = before.open_digest
        if digest is not None and digest.holder_intent_id == intent.intent_id and digest.items:
            names = [intent.variables.get("company_name")] + [i.variables.get("company_name") for i in digest.items]
            names = [n for n in dict.fromkeys(names) if n]
            template_name = "outreach_digest"
            variables = {"company_name": names[0] if names else "Tsunagu", "companies": "、".join(names),
                         "count": len(digest.items) + 1}
        key = idempotency_key(intent.intent_id, intent.recipient_id, decision.channel)
        created = await self.deliveries.add({
            "_id": key, "intent_id": intent.intent_id, "recipient_id": intent.recipient_id,
            "channel": decision.channel, "template": template_name, "category": intent.category,
            "company_id": intent.company_id, "variables": variables, "created_at": decision.decided_at,
            "next_attempt_at": decision.decided_at - timedelta(seconds=1),
        })
        if created:
            self.wake_delivery(key)
