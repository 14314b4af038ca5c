"""Segment delivery: one message to everyone in a segment, fanned out as one intent per person.

Each intent is an ordinary NotificationRequested (deterministic id per send and person,
so a retried request adds nobody twice) and passes the policy like any other outreach.
The sender a student sees is the company's registered name (from CompanyStatusChanged),
never a name the caller writes; a send id names one send only (another company's, or other
people or words under the same id: SendIdTaken)."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import NotificationRequested

from tsunagu_notify.adapters.journeys import SegmentMembers
from tsunagu_notify.adapters.repository import SendLedger
from tsunagu_notify.domain.journeys.definitions import SegmentFilter

_SEGMENT_INTENTS = uuid.UUID("c2b7e4a1-9d3f-4e6b-8a51-7f0d2c9e4b18")
SOURCE = "tsunagu/notify"


class SendIdTaken(Exception):
    """The send id is already the key of another send."""


class SenderUnknown(Exception):
    """notify has not heard the company's registered name yet (its CompanyStatusChanged)."""


def segment_intent_id(send_id: str, recipient_id: str) -> str:
    return str(uuid.uuid5(_SEGMENT_INTENTS, f"{send_id}|{recipient_id}"))


@dataclass
class SegmentSends:
    journeys: SegmentMembers
    store: SendLedger

    async def send(self, *, send_id: str, segment: SegmentFilter, company_id: str | None, platform_name: str,
                   message: str, now: datetime) -> int:
        """Request one `segment_message` intent per member; the number of people it was requested for.
        A company's send carries its registered name; `platform_name` signs a platform send (no company)."""
        company_name = platform_name
        if company_id is not None:
            company_name = await self.store.name_of(f"company:{company_id}")
            if company_name is None:
                raise SenderUnknown(company_id)
        fingerprint = hashlib.sha256(json.dumps(
            [company_id, segment.model_dump(mode="json"), message], sort_keys=True).encode()).hexdigest()
        if not await self.store.claim_send(send_id, fingerprint, now):
            raise SendIdTaken(send_id)
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
        return len(recipients)
