"""The five services as real processes on the test stack, for the bad-input table and the
property-based tests of their OpenAPI documents; one company with an active recruiter in scout."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tsunagu_shared.auth import Role
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import (
    ServiceProcess,
    bearer,
    free_port,
    kafka_bootstrap,
    mongo_url,
    opensearch_url,
    unique_prefix,
)

SERVICES = ("profile", "scout", "messaging", "events", "notify")
COMPANY = "input-co"
RECRUITER = "input-rec"


@dataclass
class InputStack:
    urls: dict[str, str]
    settings: ServiceSettings  # the JWT secret, issuer and audience the processes use

    def headers(self, role: Role, subject: str, company_id: str | None = None) -> dict[str, str]:
        return bearer(self.settings, role=role, subject=subject, company_id=company_id)

    def candidate(self, subject: str = "input-cand") -> dict[str, str]:
        return self.headers("candidate", subject)

    def recruiter(self) -> dict[str, str]:
        return self.headers("recruiter", RECRUITER, COMPANY)

    def admin(self) -> dict[str, str]:
        return self.headers("admin", "input-admin")


async def _ready(process: ServiceProcess, timeout: float = 240.0) -> None:  # 2 shared cores: a cold start is slow
    await process.start(timeout=timeout)
    async with httpx.AsyncClient() as client:
        for _ in range(int(timeout * 5)):
            if (await client.get(f"{process.url}/readyz", timeout=5)).status_code == 200:
                return
            await asyncio.sleep(0.2)
    raise AssertionError(f"{process.service} is not ready; see {process.log_path}")


def _emulator_ports() -> int:
    """A base port whose +0 (control), +1 (Twilio), +2 (LINE) and +5 (SMTP) are free."""
    for _ in range(50):
        base = free_port()
        if base < 60000 and all(_bindable(base + d) for d in (0, 1, 2, 5)):
            return base
    raise RuntimeError("no free port range for the emulators")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _emulators(base: int, log: Path) -> subprocess.Popen:
    """The provider emulators, so that notify's calls to LINE and Twilio have an answer."""
    env = {**os.environ, "TSUNAGU_EMULATOR_PORT_BASE": str(base)}
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "tsunagu_emulators"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{base}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"the emulators did not start; see {log}")


@pytest.fixture(scope="session")
def input_stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("input-stack")
    prefix = unique_prefix()
    emulators = _emulator_ports()
    emulator_process = _emulators(emulators, workdir / "emulators.log")
    common = {
        "TSUNAGU_TWILIO_BASE_URL": f"http://127.0.0.1:{emulators + 1}",
        "TSUNAGU_LINE_BASE_URL": f"http://127.0.0.1:{emulators + 2}", "TSUNAGU_SMTP_PORT": str(emulators + 5),
        "TSUNAGU_ENVIRONMENT": "test", "TSUNAGU_KAFKA_BOOTSTRAP": kafka_bootstrap(), "TSUNAGU_MONGO_URL": mongo_url(),
        "TSUNAGU_OPENSEARCH_URL": opensearch_url(), "TSUNAGU_TOPIC_PREFIX": prefix,
        "TSUNAGU_SEARCH_INDEX_PREFIX": prefix, "TSUNAGU_TOPIC_PARTITIONS": "1", "TSUNAGU_LOG_LEVEL": "WARNING",
        "TSUNAGU_ATTACHMENT_DIR": str(workdir / "attachments"), "TSUNAGU_PHOTO_FOLDER": str(workdir / "photos"),
    }
    processes = {
        service: ServiceProcess(service, log_dir=workdir / "logs", env={
            **common, "TSUNAGU_MONGO_DB": f"{prefix.strip('.')}_{service}"})
        for service in SERVICES
    }
    try:
        async def start_all() -> None:
            await asyncio.gather(*(_ready(p) for p in processes.values()))
        asyncio.run(start_all())
        stack = InputStack(urls={s: p.url for s, p in processes.items()}, settings=ServiceSettings())
        _a_company_with_a_recruiter(stack)
        yield stack
    finally:
        for process in processes.values():
            process.stop()
        emulator_process.terminate()
        emulator_process.wait(15)


def _a_company_with_a_recruiter(stack: InputStack) -> None:
    scout = stack.urls["scout"]
    body = {"company_id": COMPANY, "name": "Input Inc.",
            "plan": {"name": "standard", "monthly_quota": {"regular": 10, "premium": 2}, "max_awaiting": 50}}
    created = httpx.post(f"{scout}/admin/companies", json=body, headers=stack.admin(), timeout=30)
    assert created.status_code == 201, created.text
    put = httpx.put(f"{scout}/admin/companies/{COMPANY}/recruiters/{RECRUITER}", json={"display_name": "Sato"},
                    headers=stack.admin(), timeout=30)
    assert put.status_code == 200, put.text
