"""The event contracts: snapshots current, no breaking change, generated docs not stale."""

import json
import sys
from datetime import datetime
from pathlib import Path

from tsunagu_shared.contracts import (
    SCHEMA_DIR,
    breaking_changes,
    check_all,
    event_schema,
    render_json,
    snapshot_path,
)
from tsunagu_shared.events import EVENT_TYPES, DomainEvent
from tsunagu_shared.events.base import event
from tsunagu_shared.topics import ALL_TOPICS, Topic

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from docs_render import SERVICES, render_asyncapi, render_openapi, render_published_schemas  # noqa: E402

T = Topic("contract.test", "tests")


def schema_of(fields: dict) -> dict:
    model = type("Probe", (DomainEvent,), {"__annotations__": fields, "__module__": __name__})
    model.event_type, model.topic, model.subject_field = "Probe", T, "probe_id"
    return model.model_json_schema(mode="serialization")


BASE = {"probe_id": str, "count": int, "at": datetime}


def test_no_event_breaks_its_committed_schema():
    assert check_all() == {}


def test_snapshots_are_current():
    stale = [t for t, m in EVENT_TYPES.items() if snapshot_path(m).read_text() != render_json(event_schema(m))]
    assert stale == [], f"run `make docs`: snapshots stale for {stale}"


def test_an_added_optional_field_is_compatible():
    new = schema_of({**BASE, "note": str | None})
    new["required"] = [r for r in new.get("required", []) if r != "note"]
    assert breaking_changes(schema_of(BASE), new) == []


def test_a_removed_field_breaks():
    assert breaking_changes(schema_of(BASE), schema_of({"probe_id": str, "at": datetime})) == ["count: removed"]


def test_a_retyped_field_breaks():
    assert breaking_changes(schema_of(BASE), schema_of({**BASE, "count": str})) == ["count: type changed"]


def test_a_new_required_field_breaks():
    assert breaking_changes(schema_of(BASE), schema_of({**BASE, "tier": str})) == ["tier: new required field"]


def test_a_moved_key_or_topic_breaks():
    old = {**schema_of(BASE), "x-topic": "scout.events", "x-subject-field": "probe_id"}
    assert breaking_changes(old, {**old, "x-subject-field": "count"}) == [
        "subject-field: changed from probe_id to count"]
    assert breaking_changes(old, {**old, "x-topic": "profile.events"}) == [
        "topic: changed from scout.events to profile.events"]


def test_every_snapshot_has_its_event():
    # retiring an event version deletes its model and its snapshot together (docs/events.md)
    registered = {snapshot_path(m).name for m in EVENT_TYPES.values()}
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json") if p.name not in registered) == []


def test_every_event_is_on_a_topic_of_the_registry():
    # the contracts package names each event's topic; the registry (topics.py) must have it
    registry = {t.name for t in ALL_TOPICS}
    assert {t: m.topic for t, m in EVENT_TYPES.items() if m.topic not in registry} == {}


def test_event_registration_refuses_a_duplicate_type():
    class ScoutSent(DomainEvent):
        scout_id: str

    try:
        event(T, "scout_id")(ScoutSent)
    except ValueError as exc:
        assert "registered twice" in str(exc)
    else:
        raise AssertionError("a second ScoutSent was registered")


def test_generated_documents_are_not_stale():
    assert (ROOT / "docs/asyncapi.yaml").read_text() == render_asyncapi(), "run `make docs`"
    published = render_published_schemas()
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs/schemas").rglob("*.json")}
    assert on_disk == set(published), "run `make docs`: published schemas differ from the models"
    for path, text in published.items():
        assert (ROOT / "docs" / path).read_text() == text, f"run `make docs` ({path})"
    for service in SERVICES:
        committed = json.loads((ROOT / f"docs/openapi/{service}.json").read_text())
        assert committed == json.loads(render_openapi(service)), f"run `make docs` ({service})"
