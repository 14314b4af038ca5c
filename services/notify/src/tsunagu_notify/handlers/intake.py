"""Orchestration of the notify service's intake: domain events become directory entries
and notification intents (published on notify.intents through the outbox)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsunagu_shared.clock import Clock
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import (
    CampaignApplicantImported,
    CampaignApplicantResponded,
    CompanyBlocked,
    CompanyStatusChanged,
    ContactPreferencesChanged,
    EventPublished,
    ProfileCreated,
    ProfileDeleted,
    ProfileUpdated,
    ReplyReceived,
    ScoutExpired,
    SelectionProgressUpdated,
)

from tsunagu_notify.adapters.journeys import JourneyStore
from tsunagu_notify.adapters.recipient_stream import RecipientChanges
from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.domain.intents import intents_for
from tsunagu_notify.domain.journeys.signals import signal_for
from tsunagu_notify.domain.recipient import RecipientChange

# Profile attributes kept for segment sends by profile attributes (docs/notify.md).
SEGMENT_ATTRIBUTES = ("graduation_year", "school", "industries", "location")

SOURCE = "tsunagu/notify"


@dataclass
class IntakeHandlers:
    store: NotifyStore
    changes: RecipientChanges
    clock: Clock
    journeys: JourneyStore
    # journeys.engine.JourneyEngine.on_signal; a callable keeps this module free of the engine.
    on_signal: Callable = None  # type: ignore[assignment]
    # line.members.MemberStatuses.on_event: rich menu per member status.
    on_member_event: Callable = None  # type: ignore[assignment]

    async def on_event(self, envelope: Envelope) -> None:
        """A domain event of another service: keep the directory, then turn it into intents."""
        event = envelope.event()
        now = self.clock.now()
        if isinstance(event, ProfileDeleted):
            await self._change(envelope, event, now, "erased")
            await self.journeys.erase(event.candidate_id, now)
            if self.on_member_event is not None:
                await self.on_member_event(event)
            return
        await self._keep_directory(envelope, event, now)
        await self._intents(envelope, event, now)
        signal = signal_for(event, source_id=envelope.id)
        if signal is not None and self.on_signal is not None:
            await self.on_signal(signal)
        if self.on_member_event is not None:
            await self.on_member_event(event)

    async def _change(self, envelope: Envelope, event: Any, now: datetime, kind: str, **fields: Any) -> None:
        # one change per event and kind: a redelivered event asks again, her owner applies it once
        await self.changes.request(RecipientChange(change_id=f"{envelope.id}:{kind}",
                                                   recipient_id=event.candidate_id, kind=kind, at=now, **fields))

    async def _keep_directory(self, envelope: Envelope, event: Any, now: datetime) -> None:
        """What notify keeps of the event: her contact state's changes, segment attributes, names."""

        async def change(kind: str, **fields: Any) -> None:
            await self._change(envelope, event, now, kind, **fields)

        match event:
            case ContactPreferencesChanged():
                await change("preferences", preferences=event)
            case ProfileCreated():
                await self.journeys.keep_attributes(event.candidate_id, {
                    k: getattr(event, k) for k in SEGMENT_ATTRIBUTES if getattr(event, k) not in (None, [])})
            case ProfileUpdated():
                await self.journeys.keep_attributes(event.candidate_id, {
                    k: v for k, v in event.changes.items() if k in SEGMENT_ATTRIBUTES})
            case SelectionProgressUpdated():
                await self.journeys.keep_attributes(event.candidate_id, {
                    "selection_stages": sorted({e.stage for e in event.entries}),
                    "selection_companies": sorted({e.company_name for e in event.entries})})
            case CompanyBlocked():
                await change("blocked", company_id=event.company_id)
            case ScoutExpired():
                await change("left_unanswered", company_id=event.company_id)
            case CompanyStatusChanged():
                await self.store.remember_name(f"company:{event.company_id}", event.name)
            case EventPublished():
                await self.store.remember_name(f"event:{event.event_id}", event.title)
            case CampaignApplicantImported():
                await change("campaign_contact", applicant=event)
            case ReplyReceived() | CampaignApplicantResponded():
                await change("answered", company_id=event.company_id)

    async def _intents(self, envelope: Envelope, event, now) -> None:
        for request in intents_for(event, source_event_id=envelope.id, now=now):
            variables = dict(request.variables)
            if request.company_id and not variables.get("company_name"):
                name = await self.store.name_of(f"company:{request.company_id}")
                if name:
                    variables["company_name"] = name
            if "event_id" in variables:
                variables["event_title"] = await self.store.name_of(f"event:{variables['event_id']}") or ""
            enriched = request.model_copy(update={"variables": variables})
            await self.store.request_intent(request.intent_id, envelope.caused(enriched, source=SOURCE))
