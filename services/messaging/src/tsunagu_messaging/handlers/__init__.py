"""Orchestration of the messaging service: load, apply the domain, store with events."""

from tsunagu_messaging.handlers.consumed import ConsumedEvents
from tsunagu_messaging.handlers.conversation import Conversation, RateLimited
from tsunagu_messaging.handlers.scheduling import Scheduling

__all__ = ["ConsumedEvents", "Conversation", "RateLimited", "Scheduling"]
