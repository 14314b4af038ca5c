"""The alerts and the dashboard of deploy/monitoring: the rules pass `promtool check rules` and
their unit tests (`promtool test rules`), the dashboard's queries are valid PromQL, and both
use only the metrics docs/observability.md documents (and the dashboard shows each of them)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "monitoring"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is missing: scripts/install_monitoring_tools.sh installs it with apt")


def documented_metrics() -> set[str]:
    """The metric names of the table in docs/observability.md."""
    text = (REPO / "docs" / "observability.md").read_text()
    return set(re.findall(r"^\| `(tsunagu_[a-z_]+)` \|", text, flags=re.MULTILINE))


def rules() -> dict:
    resource = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert (resource["apiVersion"], resource["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    return resource["spec"]


def dashboard_queries() -> list[str]:
    board = json.loads((MONITORING / "dashboards" / "tsunagu.json").read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def metrics_used(expressions: list[str]) -> set[str]:
    names = {m for e in expressions for m in re.findall(r"\btsunagu_[a-z_]+", e)}
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


@needs_promtool
def test_the_alert_rules_pass_promtool_check_and_their_unit_tests(tmp_path):
    (tmp_path / "tsunagu.rules.yaml").write_text(yaml.safe_dump(rules(), sort_keys=False))
    shutil.copy(MONITORING / "tests" / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    checked = promtool("check", "rules", str(tmp_path / "tsunagu.rules.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(tmp_path / "alerts.test.yaml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


@needs_promtool
def test_promtool_test_rules_fails_an_alert_that_does_not_fire_as_its_test_says(tmp_path):
    spec = rules()
    for group in spec["groups"]:
        for rule in group["rules"]:
            if rule["alert"] == "TsunaguOutboxEventStuck":
                rule["expr"] = rule["expr"].replace("> 600", "> 6000")  # a threshold gone wrong
    (tmp_path / "tsunagu.rules.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    shutil.copy(MONITORING / "tests" / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    tested = promtool("test", "rules", str(tmp_path / "alerts.test.yaml"))
    assert tested.returncode != 0 and "TsunaguOutboxEventStuck" in tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test_a_severity_and_a_runbook_section():
    tests = yaml.safe_load((MONITORING / "tests" / "alerts.test.yaml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]
              if case["exp_alerts"]}
    alerts_doc = (REPO / "docs" / "alerts.md").read_text()
    for group in rules()["groups"]:
        for rule in group["rules"]:
            assert rule["alert"] in tested, f"{rule['alert']} has no test that makes it fire"
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert rule["annotations"]["runbook"] == f"docs/alerts.md#{rule['alert'].lower()}"
            assert f"## {rule['alert']}\n" in alerts_doc


@needs_promtool
def test_the_dashboard_queries_are_valid_promql(tmp_path):
    queries = [q.replace("$__rate_interval", "5m").replace("$job", ".*") for q in dashboard_queries()]
    as_rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{n}", "expr": q} for n, q in enumerate(queries)]}]}
    (tmp_path / "dashboard.rules.yaml").write_text(yaml.safe_dump(as_rules))
    checked = promtool("check", "rules", str(tmp_path / "dashboard.rules.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_alerts_and_dashboard_read_only_documented_metrics_and_the_dashboard_shows_each():
    documented = documented_metrics()
    assert len(documented) >= 15
    alerting = [r["expr"] for g in rules()["groups"] for r in g["rules"]]
    assert metrics_used(alerting) <= documented, metrics_used(alerting) - documented
    shown = metrics_used(dashboard_queries())
    assert shown == documented, {"undocumented": shown - documented, "not shown": documented - shown}
