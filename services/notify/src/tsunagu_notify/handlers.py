"""Orchestration of the notify service's intake: domain events become directory entries
and notification intents (published on notify.intents through the outbox)."""

from collections.abc import Callable
from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    CampaignApplicantImported, CampaignApplicantResponded, CompanyStatusChanged, ContactPreferencesChanged,
    EventPublished, ProfileDeleted, ReplyReceived,
)
from tsunagu_shared.kafka.consumer import TransientError
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.clock import Clock
from tsunagu_notify.domain.directory import after_preferences, answered, campaign_contact
from tsunagu_notify.domain.intents import intents_for
from tsunagu_notify.domain.model import RecipientState

SOURCE = "tsunagu/notify"


async def change_state(
    store: NotifyStore, recipient_id: str, change: Callable[[RecipientState], RecipientState | None],
    events: Callable[[RecipientState], tuple[Envelope, ...]] = lambda _: (),
) -> RecipientState | None:
    """Apply a pure change to her state with compare-and-set; None when nothing changed."""
    for _ in range(20):
        record = await store.load(recipient_id)
        new_state = change(record.state)
        if new_state is None or new_state == record.state:
            return None
        if await store.save(record, new_state, events=events(new_state)):
            return new_state
    raise TransientError(f"recipient {recipient_id} kept changing")


@dataclass
class IntakeHandlers:
    store: NotifyStore
    relay: OutboxRelay
    clock: Clock

    async def on_event(self, envelope: Envelope) -> None:
        """A domain event of another service: keep the directory, then turn it into intents."""
        event = envelope.event()
        now = self.clock.now()
        match event:
            case ContactPreferencesChanged():
                await change_state(self.store, event.candidate_id, lambda s: after_preferences(s, event))
            case ProfileDeleted():
                await self.store.erase(event.candidate_id, now)
                return
            case CompanyStatusChanged():
                await self.store.remember_name(f"company:{event.company_id}", event.name)
            case EventPublished():
                await self.store.remember_name(f"event:{event.event_id}", event.title)
            case CampaignApplicantImported():
                await change_state(self.store, event.candidate_id, lambda s: campaign_contact(s, event))
            case ReplyReceived() | CampaignApplicantResponded():
                await change_state(self.store, event.candidate_id, lambda s: answered(s, event.company_id))
        for request in intents_for(event, source_event_id=envelope.id, now=now):
            variables = dict(request.variables)
            if request.company_id and "company_name" not in variables:
                variables["company_name"] = await self.store.name_of(f"company:{request.company_id}") or ""
            if "event_id" in variables:
                variables["event_title"] = await self.store.name_of(f"event:{variables['event_id']}") or ""
            enriched = request.model_copy(update={"variables": variables})
            await self.store.request_intent(request.intent_id, envelope.caused(enriched, source=SOURCE))
        self.relay.wake()
