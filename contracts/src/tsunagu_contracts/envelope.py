"""The one envelope every event travels in (docs/architecture.md, events).

Kafka records use CloudEvents' structured mode: the value is the JSON envelope
with content type `application/cloudevents+json`. CloudEvents attribute names
may not contain underscores, so the correlation and causation ids travel as
the extension attributes `correlationid` and `causationid`, and the event's
schema version as `schemaversion`. The `ce_type` and `ce_id` headers repeat
the type and id so a router can filter without parsing the value.

`traceparent` and `tracestate` are CloudEvents' distributed-tracing extension: the W3C
trace context of the code that created the event, so that a consumer continues that trace
however the event reached it (an outbox, a replay). `wrap` fills them from the source given
to `trace_context_from` (Tsunagu's services give the current OpenTelemetry span; a process
that gives none writes none).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from tsunagu_contracts.events import EVENT_TYPES, DomainEvent, utcnow

CONTENT_TYPE = "application/cloudevents+json"


class UnknownEventType(ValueError):
    pass


TraceContext = Callable[[], "tuple[str | None, str | None]"]
_trace_context: TraceContext = lambda: (None, None)  # noqa: E731


def trace_context_from(source: TraceContext) -> None:
    """Where `Envelope.wrap` takes the (traceparent, tracestate) of a new event from."""
    global _trace_context
    _trace_context = source


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = Field(default_factory=lambda: str(uuid4()))
    type: str
    source: str
    time: datetime = Field(default_factory=utcnow)
    subject: str
    specversion: str = "1.0"
    schema_version: int = Field(1, alias="schemaversion")
    datacontenttype: str = "application/json"
    correlation_id: str = Field(alias="correlationid")
    causation_id: str | None = Field(None, alias="causationid")
    traceparent: str | None = Field(None, description="W3C trace context of the code that "
                                    "created the event (CloudEvents distributed-tracing extension)")
    tracestate: str | None = Field(None, description="W3C tracestate that goes with traceparent")
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: DomainEvent,
        *,
        source: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> "Envelope":
        """Put an event in an envelope; a new correlation starts when none is given."""
        event_id = str(uuid4())
        traceparent, tracestate = _trace_context()
        return cls(
            id=event_id,
            type=event.event_type,
            source=source,
            subject=event.subject,
            schema_version=event.schema_version,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            traceparent=traceparent,
            tracestate=tracestate,
            data=event.model_dump(mode="json"),
        )

    def caused(self, event: DomainEvent, *, source: str) -> "Envelope":
        """Wrap an event that this one caused, keeping the correlation."""
        return Envelope.wrap(event, source=source, correlation_id=self.correlation_id, causation_id=self.id)

    def event(self) -> DomainEvent:
        """Decode the data into its registered event model."""
        model = EVENT_TYPES.get(self.type)
        if model is None:
            raise UnknownEventType(f"unknown event type {self.type!r}")
        return model.model_validate(self.data)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Envelope":
        return cls.model_validate_json(raw)

    def to_document(self) -> dict[str, Any]:
        """The envelope as stored in an outbox (JSON-safe, aliases as on the wire)."""
        return self.model_dump(mode="json", by_alias=True)

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("content-type", CONTENT_TYPE.encode()),
            ("ce_type", self.type.encode()),
            ("ce_id", self.id.encode()),
        ]
