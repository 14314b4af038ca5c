"""A whole Tsunagu stack as real processes for the end-to-end tests.

`make test` runs Kafka and FerretDB; here the five services, the provider emulators and
the recruiter console start as OS processes on free ports, with a topic prefix and
database names of their own, and stop when the session's e2e tests are done.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tsunagu_shared.testing import free_port, kafka_bootstrap, mongo_url, unique_prefix

SERVICES = ("profile", "scout", "messaging", "events", "notify")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def emulator_port_base() -> int:
    """A base port whose +0, +1, +2 and +5 are all free (the emulators' layout)."""
    for _ in range(50):
        base = free_port()
        if base < 60000 and all(_bindable(base + d) for d in (0, 1, 2, 3, 5)):
            return base
    raise RuntimeError("no free port range for the emulators")


@dataclass
class Proc:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_url: str
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, stdout=self.log.open("wb"),
                                        stderr=subprocess.STDOUT, cwd=self.log.parent)

    def wait_ready(self, deadline: float) -> None:
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            try:
                answer = httpx.get(self.ready_url, timeout=6)
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready at {self.ready_url} ({last}):\n{self.tail()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:]) if self.log.exists() else ""


@dataclass
class E2EStack:
    env: dict[str, str]
    urls: dict[str, str]
    procs: list[Proc] = field(default_factory=list)

    def url(self, name: str) -> str:
        return self.urls[name]


def _stack_env(prefix: str, ports: dict[str, int], emulators: int, workdir: Path) -> dict[str, str]:
    urls = {s: f"http://127.0.0.1:{ports[s]}" for s in SERVICES}
    env = {
        **os.environ,
        "TSUNAGU_ENVIRONMENT": "test",
        "TSUNAGU_KAFKA_BOOTSTRAP": kafka_bootstrap(),
        "TSUNAGU_MONGO_URL": mongo_url(),
        "TSUNAGU_TOPIC_PREFIX": prefix,
        "TSUNAGU_OUTBOX_POLL_SECONDS": "0.2",
        "TSUNAGU_METRICS_PROBE_SECONDS": "2",  # consumer lag and outbox backlog, for the scrape test
        "TSUNAGU_EMULATOR_PORT_BASE": str(emulators),
        "TSUNAGU_EMULATOR_CONTROL_URL": f"http://127.0.0.1:{emulators}",
        "TSUNAGU_TWILIO_BASE_URL": f"http://127.0.0.1:{emulators + 1}",
        "TSUNAGU_LINE_BASE_URL": f"http://127.0.0.1:{emulators + 2}",
        "TSUNAGU_SMTP_PORT": str(emulators + 5),
        "TSUNAGU_OIDC_ISSUER": f"http://127.0.0.1:{emulators + 3}",
        "TSUNAGU_PUBLIC_BASE_URL": urls["notify"],
        "TSUNAGU_ATTACHMENT_DIR": str(workdir / "attachments"),
        "TSUNAGU_PHOTO_FOLDER": str(workdir / "photos"),
        "TSUNAGU_STORE_COMMAND_LOG": str(workdir / "store-commands.jsonl"),  # test_e2e_store_by_id
        **{f"TSUNAGU_{s.upper()}_URL": u for s, u in urls.items()},
    }
    env.pop("TSUNAGU_MONGO_DB", None)
    return env


@pytest.fixture(scope="session")
def e2e_stack():
    """Emulators, the five services and the console, as processes; stopped at the end."""
    workdir = Path(tempfile.mkdtemp(prefix="tsunagu-e2e-"))
    prefix = unique_prefix()
    ports = {s: free_port() for s in (*SERVICES, "console")}
    emulators = emulator_port_base()
    env = _stack_env(prefix, ports, emulators, workdir)
    env["TSUNAGU_CONSOLE_URL"] = f"http://127.0.0.1:{ports['console']}"
    env["TSUNAGU_CONSOLE_PUBLIC_URL"] = env["TSUNAGU_CONSOLE_URL"]
    stack = E2EStack(env=env, urls={**{s: env[f"TSUNAGU_{s.upper()}_URL"] for s in SERVICES},
                                    "console": env["TSUNAGU_CONSOLE_URL"],
                                    "emulator_control": env["TSUNAGU_EMULATOR_CONTROL_URL"]})
    py = sys.executable
    stack.procs.append(Proc("emulators", [py, "-m", "tsunagu_emulators"], env,
                            f"http://127.0.0.1:{emulators}/healthz", workdir / "emulators.log"))
    for service in SERVICES:
        own = {**env, "TSUNAGU_HTTP_PORT": str(ports[service]),
               "TSUNAGU_MONGO_DB": f"{prefix.strip('.')}_{service}",
               **({"TSUNAGU_CLOCK_CONTROL": "true"} if service == "notify" else {})}
        stack.procs.append(Proc(service, [py, "-m", f"tsunagu_{service}"], own,
                                f"http://127.0.0.1:{ports[service]}/readyz", workdir / f"{service}.log"))
    stack.procs.append(Proc("console", [py, "-m", "tsunagu_console"],
                            {**env, "TSUNAGU_CONSOLE_PORT": str(ports["console"]),
                             "TSUNAGU_MONGO_DB": f"{prefix.strip('.')}_console"},
                            f"http://127.0.0.1:{ports['console']}/healthz", workdir / "console.log"))
    try:
        for proc in stack.procs:
            proc.start()
        # 2 shared cores: a cold start of seven processes is slow (a busier machine may allow more)
        deadline = time.monotonic() + float(os.environ.get("TSUNAGU_E2E_START_SECONDS", "180"))
        for proc in stack.procs:
            proc.wait_ready(deadline)
        yield stack
    finally:
        for proc in reversed(stack.procs):
            proc.stop()
