"""docs/asyncapi.yaml as a subscriber's tools read it.

The reference AsyncAPI parser (@asyncapi/parser, run by node; installed by
scripts/install_node.sh) validates the document and resolves its references to
the published JSON Schemas; a code generator (datamodel-code-generator) turns the
per-event schemas into Python models that decode the recorded events.
"""

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from tsunagu_shared.events import EVENT_TYPES
from tsunagu_shared.topics import ALL_TOPICS, topic_name

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CHECKER = ROOT / "scripts/asyncapi"
RECORDED = DOCS / "examples/events.v1.jsonl"
NODE = shutil.which("node")


def parser_report() -> dict:
    """The parser's report on the committed document, cached by the hash of everything it reads."""
    if not (CHECKER / "node_modules/@asyncapi/parser").exists():
        pytest.fail("the AsyncAPI parser is not installed: run `make install` (scripts/install_node.sh)")
    inputs = [DOCS / "asyncapi.yaml", *sorted((DOCS / "schemas").rglob("*.json")),
              CHECKER / "check.mjs", CHECKER / "package-lock.json"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs)).hexdigest()
    cached = ROOT / ".cache/asyncapi-check" / f"{digest}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    result = subprocess.run([NODE, str(CHECKER / "check.mjs"), str(DOCS / "asyncapi.yaml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(result.stdout)
    return json.loads(result.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed: the AsyncAPI parser runs on node")
def test_the_reference_parser_accepts_the_document_and_resolves_every_schema():
    report = parser_report()
    problems = [d for d in report["diagnostics"] if d["severity"] in ("error", "warning")]
    assert report["valid"] and problems == []
    assert report["servers"]["local"]["protocol"] == "kafka"
    assert report["servers"]["production"]["security"] == ["scramSha512"]
    for topic in ALL_TOPICS:
        channel = report["channels"][topic.name]
        assert channel["partitions"] == topic.partitions
        assert sorted(channel["messages"]) == sorted(t for t, m in EVENT_TYPES.items()
                                                     if topic_name(m.topic) == topic.name)
    assert set(report["messages"]) == set(EVENT_TYPES)
    for event_type, message in report["messages"].items():
        model = EVENT_TYPES[event_type]
        assert message["headers"] == ["content-type", "ce_type", "ce_id"]
        assert model.subject_field in message["key"]["description"]
        # the payload's references to the files beside the document were followed
        assert (message["envelope"], message["data"]) == ("TsunaguEnvelope", event_type)
        assert message["data_required"] == model.model_json_schema(mode="serialization").get("required", [])


def test_generated_models_decode_the_recorded_events(tmp_path, monkeypatch):
    out = tmp_path / "models"
    subprocess.run([Path(sys.executable).parent / "datamodel-codegen", "--input", DOCS / "schemas/events",
                    "--input-file-type", "jsonschema", "--output", out, "--output-model-type", "pydantic_v2.BaseModel",
                    "--target-python-version", "3.11", "--formatters", "builtin", "--disable-timestamp"],
                   check=True, capture_output=True, timeout=120)
    models = {}
    for path in out.glob("*_v1.py"):
        spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)  # pydantic resolves the annotations through it
        spec.loader.exec_module(module)
        event_type = path.stem.removesuffix("_v1")
        models[event_type] = getattr(module, event_type)
    assert set(models) == set(EVENT_TYPES)

    recorded = [json.loads(line) for line in RECORDED.read_text().splitlines()]
    assert {r["type"] for r in recorded} <= set(EVENT_TYPES) and len(recorded) >= 40
    for envelope in recorded:
        decoded = models[envelope["type"]].model_validate(envelope["data"])
        assert decoded.model_dump(mode="json", exclude_unset=True).keys() == envelope["data"].keys()
    scout = next(r for r in recorded if r["type"] == "ScoutSent")
    with pytest.raises(ValidationError):
        models["ScoutSent"].model_validate({k: v for k, v in scout["data"].items() if k != "candidate_id"})
