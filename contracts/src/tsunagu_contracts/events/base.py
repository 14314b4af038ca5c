"""The base of every event contract and the registry of event types.

Event models are a public API: subscribers outside Tsunagu decode them. They
ignore unknown fields (so adding an optional field is safe) and the schema
compatibility check (tsunagu_shared.contracts, against the snapshots in
tsunagu_contracts/schemas) fails the build on any change that would break an
existing subscriber. The policy is in docs/events.md.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

EVENT_TYPES: dict[str, type["DomainEvent"]] = {}


def utcnow() -> datetime:
    return datetime.now(UTC)


class DomainEvent(BaseModel):
    """A fact that happened, named in the past tense."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]  # the topic's name, without a deployment's prefix
    # The field that holds the aggregate id: it becomes the envelope subject and the Kafka key.
    subject_field: ClassVar[str]

    @property
    def subject(self) -> str:
        return str(getattr(self, self.subject_field))


_Event = TypeVar("_Event", bound=type[DomainEvent])


def event(topic: str, subject_field: str, version: int = 1) -> Callable[[_Event], _Event]:
    """Register an event class under its class name, on its topic (a name, or anything with a `name`)."""

    def register(cls: _Event) -> _Event:
        cls.event_type = cls.__name__
        cls.topic = getattr(topic, "name", topic)
        cls.subject_field = subject_field
        cls.schema_version = version
        if cls.event_type in EVENT_TYPES:
            raise ValueError(f"event type {cls.event_type} registered twice")
        EVENT_TYPES[cls.event_type] = cls
        return cls

    return register
