"""Test helpers for the real-infrastructure tests (no mocks of Kafka or the database).

`make test` starts Kafka, FerretDB and OpenSearch and exports their addresses; each
test gets its own topic prefix, database name and index prefix, so tests never see
each other's data.
"""

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from tsunagu_shared.auth import Role, issue_token
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.settings import ServiceSettings

if TYPE_CHECKING:
    import subprocess

S = TypeVar("S", bound=ServiceSettings)


def kafka_bootstrap() -> str:
    return os.environ.get("TSUNAGU_KAFKA_BOOTSTRAP", "127.0.0.1:19092")


def mongo_url() -> str:
    return os.environ.get("TSUNAGU_MONGO_URL", "mongodb://127.0.0.1:27027/")


def opensearch_url() -> str:
    return os.environ.get("TSUNAGU_OPENSEARCH_URL", "http://127.0.0.1:19200")


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


def isolated_settings(cls: type[S], *, prefix: str | None = None, **overrides: Any) -> S:
    """Settings of a service pointed at the test stack, with its own topics and database."""
    prefix = prefix or unique_prefix()
    service = cls.model_fields["service_name"].default
    values = {
        "kafka_bootstrap": kafka_bootstrap(),
        "mongo_url": mongo_url(),
        "topic_prefix": prefix,
        "mongo_db": f"{prefix.strip('.')}_{service}",
        "opensearch_url": opensearch_url(),
        "search_index_prefix": prefix,
        "outbox_poll_seconds": 0.2,
        # every test creates its own topics: few partitions keep the broker light
        "topic_partitions": 2,
        **overrides,
    }
    return cls(**values)


def bearer(settings: ServiceSettings, *, role: Role, subject: str, company_id: str | None = None) -> dict[str, str]:
    token = issue_token(settings, subject=subject, role=role, company_id=company_id)
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_service(app: FastAPI, *, kafka_timeout: float = 60.0) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service's lifespan in this loop and give an HTTP client for it.

    Waits until its Kafka side (publisher, relay, consumers) is up."""
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.container.infra.kafka_started.wait(), kafka_timeout)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


class TopicReader:
    """Reads a topic from its beginning, to check what was published."""

    def __init__(self, topic: str, *, bootstrap: str | None = None) -> None:
        self.topic = topic
        self.records: list[Any] = []
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap or kafka_bootstrap(),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def __aenter__(self) -> "TopicReader":
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def poll(self, seconds: float = 0.3) -> None:
        batches = await self._consumer.getmany(timeout_ms=int(seconds * 1000))
        for records in batches.values():
            self.records.extend(records)

    def envelopes(self) -> list[Envelope]:
        return [Envelope.from_bytes(r.value) for r in self.records]

    async def wait_for(self, predicate: Callable[[list[Any]], bool], *, timeout: float = 20.0) -> list[Any]:
        """Poll until predicate(records) holds; fail with what was seen otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.records):
                return self.records
            await self.poll()
        raise AssertionError(f"timed out on {self.topic}; saw {len(self.records)} records")

    async def wait_for_types(self, *types: str, timeout: float = 20.0) -> list[Envelope]:
        """Wait until envelopes of all these types (in any order, with repeats) have arrived."""

        def arrived(_records: list[Any]) -> bool:
            seen = [e.type for e in self.envelopes()]
            return all(seen.count(t) >= types.count(t) for t in set(types))

        await self.wait_for(arrived, timeout=timeout)
        return self.envelopes()

    async def settle(self, seconds: float = 1.0) -> list[Envelope]:
        """Read for a while more, to see that nothing else (a duplicate) arrives."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.poll(0.2)
        return self.envelopes()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServiceProcess:
    """A service run as a real OS process (`python -m tsunagu_<name>`), for tests that kill it."""

    def __init__(self, service: str, *, env: dict[str, str], port: int | None = None,
                 log_dir: Path | None = None) -> None:
        import sys

        self.service = service
        self.log_dir = log_dir  # where its output goes (kept across restarts); discarded without one
        self.log_path: Path | None = None
        self.port = port or free_port()
        self.env = {**os.environ, **env, "TSUNAGU_HTTP_PORT": str(self.port)}
        self.command = [sys.executable, "-m", f"tsunagu_{service}"]
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    async def start(self, *, timeout: float = 60.0) -> None:
        import subprocess

        if self.log_dir is None:
            process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        else:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = self.log_dir / f"{self.service}-{self.port}.log"
            with open(self.log_path, "ab") as log:
                process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.process = process
        see = f"; see {self.log_path}" if self.log_path else ""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise AssertionError(f"{self.service} exited with {process.returncode}{see}")
                try:
                    if (await client.get(f"{self.url}/healthz", timeout=1)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.service} did not answer /healthz in {timeout}s{see}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing."""
        import signal

        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except Exception:
                self.kill()


class InMemoryDueBuckets:
    """`tsunagu_shared.due.DueBuckets` in memory, for handler tests on fakes: ids listed by when they
    fall due; a sweep hands over those due and drops the finished."""

    def __init__(self) -> None:
        self.due: dict[str, datetime] = {}

    async def add(self, item_id: str, due_at: datetime) -> None:
        self.due.setdefault(item_id, due_at)

    async def sweep(self, now: datetime, work: Callable[[list[str]], Awaitable[list[str]]]) -> int:
        ready = [i for i, at in self.due.items() if at <= now]
        finished = await work(ready) if ready else []
        for item_id in finished:
            self.due.pop(item_id, None)
        return len(finished)
