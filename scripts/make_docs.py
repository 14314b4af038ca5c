"""`make docs`: write the generated documents (checked by tests for staleness).

- docs/asyncapi.yaml, from the event models, and beside it the JSON Schemas it refers to:
  docs/schemas/envelope.v1.json and docs/schemas/events/<Type>.v<N>.json
- docs/openapi/<service>.json, from each service's FastAPI app
- the settings tables of docs/settings.md, from each service's settings class
- contracts/src/tsunagu_contracts/schemas/<Type>.v<N>.json, the event schema snapshots:
  refreshed when the model changed compatibly (an added optional field); a breaking
  change is refused here and needs a new schema version of the event.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import settings_doc  # noqa: E402
from docs_render import SERVICES, render_asyncapi, render_openapi, render_published_schemas  # noqa: E402
from tsunagu_shared.contracts import breaking_changes, event_schema, render_json, snapshot_path  # noqa: E402
from tsunagu_shared.events import EVENT_TYPES  # noqa: E402


def main() -> None:
    (ROOT / "docs/openapi").mkdir(parents=True, exist_ok=True)
    (ROOT / "docs/asyncapi.yaml").write_text(render_asyncapi())
    published = render_published_schemas()
    events_dir = ROOT / "docs/schemas/events"
    events_dir.mkdir(parents=True, exist_ok=True)
    for stale in events_dir.glob("*.json"):  # an event or version no longer published
        if f"schemas/events/{stale.name}" not in published:
            stale.unlink()
    for path, text in published.items():
        (ROOT / "docs" / path).write_text(text)
    for service in SERVICES:
        (ROOT / f"docs/openapi/{service}.json").write_text(render_openapi(service))
    settings_md = ROOT / "docs/settings.md"
    settings_md.write_text(settings_doc.updated(settings_md.read_text()))
    written, refused = 0, []
    for model in EVENT_TYPES.values():
        path, current = snapshot_path(model), event_schema(model)
        if path.exists():
            problems = breaking_changes(json.loads(path.read_text()), current)
            if problems:
                refused.append(f"{model.event_type} v{model.schema_version}: {'; '.join(problems)}")
                continue
            if path.read_text() == render_json(current):
                continue
        path.write_text(render_json(current))
        written += 1
    print(f"docs written; {written} schema snapshots written or refreshed")
    if refused:
        sys.exit("breaking event changes refused (bump the event's version instead):\n" + "\n".join(refused))


if __name__ == "__main__":
    main()
