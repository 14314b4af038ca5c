"""Orchestration of the events service."""

from dataclasses import dataclass

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.outbox import OutboxRelay


@dataclass
class EventsHandlers:
    relay: OutboxRelay

    async def on_event(self, envelope: Envelope) -> None:
        """Events of other services this one reacts to."""
