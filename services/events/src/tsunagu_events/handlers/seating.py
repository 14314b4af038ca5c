"""Seat ledger orchestration: read the latest version, let the domain decide, store the next one.

A change that loses a race (another change took that version) stores nothing, so the loop
re-reads and decides again; only the stored change's events exist. That is how one freed
seat promotes exactly one waiting student, once, however many cancellations race.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tsunagu_shared.clock import Clock
from tsunagu_shared.conflicts import WriteConflict, retry_on_conflict
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import DomainEvent

from tsunagu_events.adapters.events_repository import EventRepository
from tsunagu_events.domain import ledger
from tsunagu_events.domain.model import DomainError, Event

# Each lost race means another change was stored, so this bounds the work, not the correctness.
ATTEMPTS = 200

Wrap = Callable[[Sequence[DomainEvent]], list[Envelope]]
Decide = Callable[[Event, datetime], "ledger.Change | None"]


class EventNotFound(DomainError):
    pass


class LedgerBusy(Exception):
    """Too many concurrent changes to one event; the caller may retry."""


@dataclass
class Seating:
    events: EventRepository
    clock: Clock

    async def event(self, event_id: str) -> Event:
        event = await self.events.get(event_id)
        if event is None:
            raise EventNotFound("no such event")
        return event

    async def change(self, event_id: str, decide: Decide, wrap: Wrap) -> tuple[Event, bool]:
        """Apply `decide` to the latest version until its result is stored (or it decides nothing).
        Returns the event as it then stands, and whether this call changed it."""
        async def attempt() -> tuple[Event, bool]:
            event = await self.event(event_id)
            decided = decide(event, self.clock.now())
            if decided is None:
                # nothing to change, but a process that died between its commit and its pruning
                # left older versions full: an erasure run again must still empty them
                await self.events.prune(event_id, event.version)
                return event, False
            changed, facts = decided
            if not await self.events.commit(changed, *wrap(facts)):
                raise WriteConflict(event_id)  # another change took this version first
            await self.events.prune(event_id, changed.version)
            return changed, True

        return await retry_on_conflict(attempt, attempts=ATTEMPTS, busy=lambda: LedgerBusy(event_id))

    async def place(self, event_id: str, *, registration_id: str, candidate_id: str, wrap: Wrap) -> Event:
        """A seat if one is free, else the waitlist; nothing when it already holds a place."""

        def decide(event: Event, now: datetime):
            if registration_id in event.seats or registration_id in event.waitlist:
                return None
            return ledger.place(event, registration_id=registration_id, candidate_id=candidate_id, now=now)

        return (await self.change(event_id, decide, wrap))[0]

    async def give_up(self, event_id: str, registration_id: str, *, reason: str, wrap: Wrap) -> bool:
        """Free its seat (handed to the first waiting) or waitlist place; False when it held neither."""

        def decide(event: Event, now: datetime):
            return ledger.give_up(event, registration_id=registration_id, reason=reason, now=now)

        return (await self.change(event_id, decide, wrap))[1]
