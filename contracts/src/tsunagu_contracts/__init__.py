"""Tsunagu's event contracts, for anyone who reads its topics.

    from tsunagu_contracts import decode
    envelope, event = decode(record.value)   # event is None for a type or version this release does not know
    if isinstance(event, ScoutSent): ...

The models (`tsunagu_contracts.events`), the CloudEvents envelope they travel in
(`tsunagu_contracts.envelope`) and the JSON Schema of every event version
(`json_schema`). Tsunagu's services use these same models: there is no other copy.
"""

import json
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from tsunagu_contracts.envelope import CONTENT_TYPE, Envelope, UnknownEventType
from tsunagu_contracts.events import EVENT_TYPES, DomainEvent

try:
    __version__ = version("tsunagu-contracts")
except PackageNotFoundError:  # imported from a source tree without installing
    __version__ = "0+unknown"

__all__ = ["CONTENT_TYPE", "EVENT_TYPES", "DomainEvent", "Envelope", "UnknownEventType", "__version__", "decode",
           "json_schema"]


def decode(value: bytes) -> tuple[Envelope, DomainEvent | None]:
    """A record's value as its envelope and its event.

    The event is None when its type, or its schema version, is not one this release
    knows (a publisher newer than your copy of the contracts): skip it, or park it,
    but do not fail on it. A malformed envelope or event raises pydantic's
    ValidationError (a ValueError): that record is a dead letter.
    """
    envelope = Envelope.from_bytes(value)
    model = EVENT_TYPES.get(envelope.type)
    if model is None or model.schema_version != envelope.schema_version:
        return envelope, None
    return envelope, model.model_validate(envelope.data)


def json_schema(event_type: str, version: int = 1) -> dict[str, Any]:
    """The JSON Schema of one version of an event's data, as published (docs/schemas/events)."""
    path = resources.files(__name__) / "schemas" / f"{event_type}.v{version}.json"
    if not path.is_file():
        raise KeyError(f"no schema for {event_type} v{version}")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
