"""A real Prometheus scrapes the end-to-end stack once: every metric docs/observability.md
documents comes back with data.

One scout to a student on LINE, whose first push the LINE emulator answers 429, gives a
decision, a retried delivery with a provider code and a sent one; the rest exists from the
services' start (series known in advance start at 0)."""

import asyncio
import io
import re
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from tsunagu_shared.testing import free_port
from tsunagu_tools.demo.cast import link_line, new_cast, register_student, seed_companies
from tsunagu_tools.demo.chapters import NotifyClock, at, scout
from tsunagu_tools.demo.timeline import Timeline
from tsunagu_tools.stack import Api, StackUrls, Tokens

SERVICES = ("profile", "scout", "messaging", "events", "notify")
PROMETHEUS = shutil.which("prometheus")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus is missing: scripts/install_monitoring_tools.sh installs it with apt")]


def documented_metrics() -> set[str]:
    text = (REPO / "docs" / "observability.md").read_text()
    return set(re.findall(r"^\| `(tsunagu_[a-z_]+)` \|", text, flags=re.MULTILINE))


async def a_scout_with_one_provider_error(urls: StackUrls) -> None:
    tokens, cast = Tokens(), new_cast()
    async with httpx.AsyncClient() as client:
        api = Api(urls, client)
        clock = NotifyClock(api, tokens, Timeline(api, tokens, io.StringIO(), cast, None))
        now = await clock.now()
        await clock.set(at(now + timedelta(days=1), 12))  # daytime in Tokyo, whatever an earlier test left
        await seed_companies(api, tokens, cast)
        hana = cast.person("hana")
        await register_student(api, tokens, hana)
        await link_line(api, tokens, hana)
        await api.emulator("POST", "/faults", json={"provider": "line", "mode": "429", "count": 1, "retry_after": 1})
        await scout(api, tokens, cast.company("A"), hana, reason="Your robotics club work")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = (await client.get(f"{urls.notify}/metrics")).text
            sent = re.search(r'^tsunagu_notify_deliveries_total\{channel="line",outcome="sent"\} (\S+)$', text, re.M)
            if sent and float(sent.group(1)) >= 1 and "tsunagu_notify_provider_errors_total{" in text:
                return
            await asyncio.sleep(0.5)
        raise AssertionError("notify did not retry and send the scout's LINE push in 60 s")


def scrape_config(urls: dict[str, str]) -> dict:
    return {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": s, "static_configs": [{"targets": [urls[s].removeprefix("http://")]}]}
                               for s in SERVICES]}


async def query(client: httpx.AsyncClient, base: str, promql: str) -> list[dict]:
    answer = await client.get(f"{base}/api/v1/query", params={"query": promql}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["result"]


async def test_prometheus_scrapes_every_documented_metric_with_data(e2e_stack):
    urls = StackUrls.from_env(e2e_stack.env)
    await a_scout_with_one_provider_error(urls)
    # (the consumer lag and the outbox backlog are measured every 2 s on this stack: conftest)
    await asyncio.sleep(3)
    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-prometheus-"))
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(scrape_config(e2e_stack.urls)))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / "prometheus.log").open("wb")
    server = subprocess.Popen([PROMETHEUS, f"--config.file={workdir / 'prometheus.yml'}",
                               f"--storage.tsdb.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 40
            up: list[dict] = []
            while time.monotonic() < deadline:
                try:
                    up = await query(client, base, "up == 1")
                    if {r["metric"]["job"] for r in up} == set(SERVICES):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            assert {r["metric"]["job"] for r in up} == set(SERVICES), (up, (workdir / "prometheus.log").read_text())
            series = await query(client, base, 'count by (__name__, job) ({__name__=~"tsunagu_.+"})')
    finally:
        server.terminate()
        server.wait(15)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
    names = {r["metric"]["__name__"] for r in series}
    assert len(documented_metrics()) >= 15
    missing = sorted(m for m in documented_metrics() if m not in names and f"{m}_bucket" not in names)
    assert missing == [], f"documented but not scraped: {missing}"
    by_job = {}
    for r in series:
        by_job.setdefault(r["metric"]["job"], set()).add(r["metric"]["__name__"])
    for service in SERVICES:  # what every service has
        assert {"tsunagu_http_requests_total", "tsunagu_outbox_pending_events", "tsunagu_dead_letters_total",
                "tsunagu_kafka_consumer_lag"} <= by_job[service], (service, by_job[service])
