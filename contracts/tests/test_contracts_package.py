"""tsunagu-contracts as a subscriber gets it: a wheel, installed alone, decoding recorded events."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tsunagu_contracts import EVENT_TYPES, decode, json_schema
from tsunagu_contracts.envelope import Envelope
from tsunagu_contracts.events import ScoutSent

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "docs/examples/events.v1.jsonl"
PROJECT = tomllib.loads((ROOT / "contracts/pyproject.toml").read_text())["project"]

# Runs in the clean virtualenv: only the wheel and what it depends on are there.
SUBSCRIBER = """
import importlib.util, json, sys
from tsunagu_contracts import __version__, decode, json_schema
from tsunagu_contracts.events import OfferIssued, ScoutSent
decoded = []
for line in open(sys.argv[1], "rb"):
    envelope, event = decode(line.strip())
    decoded.append({"id": envelope.id, "type": type(event).__name__, "subject": event.subject})
print(json.dumps({
    "version": __version__,
    "decoded": decoded,
    "scout_sent_required": json_schema("ScoutSent")["required"],
    "installed_beside": [m for m in ("tsunagu_shared", "fastapi", "aiokafka", "pymongo")
                         if importlib.util.find_spec(m)],
}))
"""


def test_the_version_is_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", PROJECT["version"])
    assert [d for d in PROJECT["dependencies"] if not d.startswith("pydantic")] == []


def test_the_wheel_installs_alone_and_decodes_recorded_events(tmp_path):
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", ROOT / "contracts"],
                   check=True, capture_output=True, timeout=120)
    (wheel,) = (tmp_path / "dist").glob("tsunagu_contracts-*.whl")
    assert wheel.name.startswith(f"tsunagu_contracts-{PROJECT['version']}-")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    subprocess.run([*pip, "--python", venv / "bin/python", "install", wheel], check=True, capture_output=True,
                   timeout=300)

    result = subprocess.run([venv / "bin/python", "-c", SUBSCRIBER, RECORDED], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    recorded = [json.loads(line) for line in RECORDED.read_text().splitlines()]
    assert report["version"] == PROJECT["version"]
    assert report["installed_beside"] == []  # nothing of the services came along
    assert report["decoded"] == [{"id": r["id"], "type": r["type"], "subject": r["subject"]} for r in recorded]
    assert report["scout_sent_required"] == json_schema("ScoutSent")["required"]


def test_decode_leaves_unknown_types_and_versions_to_the_subscriber():
    line = next(line for line in RECORDED.read_bytes().splitlines() if b'"type":"ScoutSent"' in line)
    envelope, event = decode(line)
    assert isinstance(event, ScoutSent) and event.subject == envelope.subject
    newer = Envelope.from_bytes(line).model_copy(update={"schema_version": 2}).to_bytes()
    assert decode(newer)[1] is None
    unknown = Envelope.from_bytes(line).model_copy(update={"type": "ScoutTeleported"}).to_bytes()
    assert decode(unknown)[1] is None


def test_every_registered_event_has_its_schema_in_the_package():
    for event_type, model in EVENT_TYPES.items():
        assert json_schema(event_type, model.schema_version)["x-event-type"] == event_type
