"""Orchestration of the events service: load through a port, let the domain decide, store with events
(`seating`: every change to an event's seats, written compare-and-set on its version)."""

from tsunagu_events.handlers.events import EventsHandlers, UnknownCode
from tsunagu_events.handlers.seating import EventNotFound, LedgerBusy

__all__ = ["EventNotFound", "EventsHandlers", "LedgerBusy", "UnknownCode"]
