"""Segment delivery: one message to everyone in a segment, fanned out as one intent per person.

Each intent is an ordinary NotificationRequested (deterministic id per send and person,
so a retried request adds nobody twice) and passes the policy like any other outreach."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationRequested
from tsunagu_shared.outbox import OutboxRelay

from tsunagu_notify.adapters.repository import NotifyStore
from tsunagu_notify.domain.journeys.definitions import SegmentFilter
from tsunagu_notify.adapters.journeys import JourneyStore

_SEGMENT_INTENTS = uuid.UUID("c2b7e4a1-9d3f-4e6b-8a51-7f0d2c9e4b18")
SOURCE = "tsunagu/notify"


def segment_intent_id(send_id: str, recipient_id: str) -> str:
    return str(uuid.uuid5(_SEGMENT_INTENTS, f"{send_id}|{recipient_id}"))


@dataclass
class SegmentSends:
    journeys: JourneyStore
    store: NotifyStore
    relay: OutboxRelay

    async def send(self, *, send_id: str, segment: SegmentFilter, company_id: str | None, company_name: str,
                   message: str, now: datetime) -> int:
        """Request one `segment_message` intent per member; the number of people it was requested for."""
        recipients = await self.journeys.members(segment)
        for start in range(0, len(recipients), 500):
            batch = []
            for recipient_id in recipients[start:start + 500]:
                intent_id = segment_intent_id(send_id, recipient_id)
                request = NotificationRequested(
                    intent_id=intent_id, recipient_id=recipient_id, template="segment_message", category="outreach",
                    company_id=company_id, variables={"company_name": company_name, "message": message,
                                                      "segment_send_id": send_id},
                    source_event_id=send_id, requested_at=now)
                batch.append(Envelope.wrap(request, source=SOURCE))
            await self.store.request_intents(batch)
            self.relay.wake()
        return len(recipients)
