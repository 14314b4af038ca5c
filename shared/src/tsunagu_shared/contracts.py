"""Event contracts as documents: JSON Schema snapshots and the compatibility check (AsyncAPI: asyncapi.py).

Each event type's JSON Schema is committed in the contracts package, under
`contracts/src/tsunagu_contracts/schemas/<Type>.v<version>.json` (written by `make docs`). The
compatibility check compares a model with the snapshot of its version: a subscriber built against
the snapshot must still
decode what we publish, so no field may disappear or change its type, and no
new field may be required. A breaking change needs a new version.
"""

import json
from pathlib import Path
from typing import Any

import tsunagu_contracts

from tsunagu_shared.events import EVENT_TYPES, DomainEvent

SCHEMA_DIR = Path(tsunagu_contracts.__file__).parent / "schemas"


def event_schema(model: type[DomainEvent]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    schema["x-event-type"] = model.event_type
    schema["x-schema-version"] = model.schema_version
    schema["x-topic"] = model.topic
    schema["x-subject-field"] = model.subject_field
    return schema


def snapshot_path(model: type[DomainEvent]) -> Path:
    return SCHEMA_DIR / f"{model.event_type}.v{model.schema_version}.json"


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = root.get("$defs", {})[ref.split("/")[-1]]
        return resolved
    return schema


def _shape(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A comparable description of a property's type (refs resolved, titles ignored)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return ("anyOf", sorted(repr(_shape(s, root)) for s in schema["anyOf"]))
    if schema.get("type") == "object" and "properties" in schema:
        return ("object", {k: _shape(v, root) for k, v in schema["properties"].items()})
    if schema.get("type") == "array":
        return ("array", _shape(schema.get("items", {}), root))
    return (schema.get("type"), schema.get("format"), tuple(schema.get("enum", ())), schema.get("const"))


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What in `new` would break a subscriber written against `old`."""
    problems: list[str] = []
    for routing in ("x-topic", "x-subject-field"):  # where it is read from, and its Kafka key
        if not path and routing in old and old[routing] != new.get(routing):
            problems.append(f"{routing.removeprefix('x-')}: changed from {old[routing]} to {new.get(routing)}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{path}{name}: removed")
            continue
        old_res, new_res = _resolve(old_prop, old), _resolve(new_prop := new_props[name], new)
        if old_res.get("type") == "object" and "properties" in old_res:
            nested_old = {**old_res, "$defs": old.get("$defs", {})}
            nested_new = {**new_res, "$defs": new.get("$defs", {})}
            problems += breaking_changes(nested_old, nested_new, f"{path}{name}.")
        elif _shape(old_prop, old) != _shape(new_prop, new):
            problems.append(f"{path}{name}: type changed")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{path}{name}: newly required" if name in old_props else f"{path}{name}: new required field")
    return problems


def check_all() -> dict[str, list[str]]:
    """Breaking changes per event type against the committed snapshots (missing snapshot = problem)."""
    report: dict[str, list[str]] = {}
    for event_type, model in sorted(EVENT_TYPES.items()):
        path = snapshot_path(model)
        if not path.exists():
            report[event_type] = [f"no schema snapshot {path.name}: run `make docs`"]
            continue
        problems = breaking_changes(json.loads(path.read_text()), event_schema(model))
        if problems:
            report[event_type] = problems
    return report
