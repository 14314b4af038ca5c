"""What every benchmark shares: services as real processes on the bench stack, a bounded HTTP
load generator, percentiles, RSS, and one result row format."""

import asyncio
import os
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

import httpx
from pymongo import monitoring
from tsunagu_shared.testing import ServiceProcess, isolated_settings


@dataclass
class Figure:
    """One measured figure and, when it has one, the baseline of the same run it is compared with."""

    benchmark: str
    figure: str
    unit: str
    value: float
    baseline: float | None = None
    baseline_name: str | None = None
    target: str | None = None
    meets_target: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def row(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def service(name: str, settings_cls, **env: str) -> tuple[ServiceProcess, object]:
    """A service process with its own topic prefix and database on the bench stack."""
    settings = isolated_settings(settings_cls)
    process = ServiceProcess(name, env={
        "TSUNAGU_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "TSUNAGU_MONGO_URL": settings.mongo_url,
        "TSUNAGU_MONGO_DB": settings.mongo_db, "TSUNAGU_TOPIC_PREFIX": settings.topic_prefix,
        "TSUNAGU_OPENSEARCH_URL": settings.opensearch_url, "TSUNAGU_SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "TSUNAGU_LOG_LEVEL": "WARNING", **env})
    return process, settings


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 99) * 1000

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 50) * 1000


async def http_load(base_url: str, paths: list[str], *, headers: dict, concurrency: int, total: int,
                    max_seconds: float, bodies: list[dict] | None = None) -> LoadResult:
    """`concurrency` httpx clients on loopback, cycling through `paths` (GET, or POST of the
    matching JSON body when `bodies` is given); stops at `total` requests or after `max_seconds`,
    whichever comes first. Non-200 answers count as errors."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:
        async def worker() -> None:
            nonlocal errors, issued
            while issued < total and time.monotonic() < deadline:
                turn = issued % len(paths)
                issued += 1
                started = time.perf_counter()
                try:
                    if bodies is None:
                        answer = await client.get(paths[turn])
                    else:
                        answer = await client.post(paths[turn], json=bodies[turn])
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return LoadResult(requests=len(latencies), errors=errors, seconds=elapsed, latencies=latencies)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


class CommandTally(monitoring.CommandListener):
    """Count and time database commands by (name, collection) while `on` (for the probes: register
    with `pymongo.monitoring.register` before any client exists). A command's time includes its
    wait for the database."""

    def __init__(self, *, on: bool = True) -> None:
        self.count: Counter = Counter()
        self.ms: defaultdict = defaultdict(float)
        self._started: dict[int, tuple[str, str]] = {}
        self.on = on

    def started(self, event) -> None:
        if self.on:
            target = event.command.get(event.command_name)
            self._started[event.request_id] = (event.command_name, target if isinstance(target, str) else "")

    def succeeded(self, event) -> None:
        key = self._started.pop(event.request_id, None)
        if key:
            self.count[key] += 1
            self.ms[key] += event.duration_micros / 1000

    def failed(self, event) -> None:
        key = self._started.pop(event.request_id, None)
        if key:
            self.count[(f"{key[0]} (failed)", key[1])] += 1

    def clear(self) -> None:
        self.count.clear()
        self.ms.clear()
