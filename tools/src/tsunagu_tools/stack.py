"""Where a running Tsunagu stack is, who the tools act as, and an HTTP client for its public APIs.

Addresses come from the environment (`python3 scripts/stack.py env` prints them) with the
development defaults. Tokens are issued with the stack's own secret: this is the
development identity provider, never how production users sign in.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from tsunagu_shared.auth import issue_token
from tsunagu_shared.settings import ServiceSettings

SERVICES = ("profile", "scout", "messaging", "events", "notify")
T = TypeVar("T")


@dataclass(frozen=True)
class StackUrls:
    """The addresses of one stack: the five services, the emulators' control API and Kafka."""

    profile: str = "http://127.0.0.1:8001"
    scout: str = "http://127.0.0.1:8002"
    messaging: str = "http://127.0.0.1:8003"
    events: str = "http://127.0.0.1:8004"
    notify: str = "http://127.0.0.1:8005"
    emulator_control: str = "http://127.0.0.1:8020"
    kafka_bootstrap: str = "127.0.0.1:19092"
    topic_prefix: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "StackUrls":
        env = os.environ if environ is None else environ
        defaults = cls()
        values = {s: env.get(f"TSUNAGU_{s.upper()}_URL", getattr(defaults, s)) for s in SERVICES}
        return cls(
            **values,
            emulator_control=env.get("TSUNAGU_EMULATOR_CONTROL_URL", defaults.emulator_control),
            kafka_bootstrap=env.get("TSUNAGU_KAFKA_BOOTSTRAP", defaults.kafka_bootstrap),
            topic_prefix=env.get("TSUNAGU_TOPIC_PREFIX", defaults.topic_prefix),
        )

    def service(self, name: str) -> str:
        return getattr(self, name).rstrip("/")


class Tokens:
    """Development tokens signed with the stack's secret (the stack's development identity provider)."""

    def __init__(self, settings: ServiceSettings | None = None, *, ttl: timedelta = timedelta(hours=2)) -> None:
        self.settings = settings or ServiceSettings(service_name="tools")
        self.ttl = ttl

    def _issue(self, **claims: Any) -> str:
        return issue_token(self.settings, ttl=self.ttl, **claims)

    def candidate(self, candidate_id: str) -> str:
        return self._issue(subject=candidate_id, role="candidate")

    def recruiter(self, recruiter_id: str, company_id: str, name: str | None = None) -> str:
        return self._issue(subject=recruiter_id, role="recruiter", company_id=company_id, name=name)

    def admin(self) -> str:
        return self._issue(subject="tsunagu-demo-admin", role="admin")

    def service(self) -> str:
        return self._issue(subject="tsunagu-demo", role="service")


class ApiError(Exception):
    """An answer from a service that the caller did not expect, with the service's detail text."""

    def __init__(self, method: str, url: str, status: int, detail: Any) -> None:
        super().__init__(f"{method} {url} -> {status}: {detail}")
        self.status = status
        self.detail = detail


class Api:
    """Calls the public HTTP APIs of one stack as a given token (timeouts on every call)."""

    def __init__(self, urls: StackUrls, client: httpx.AsyncClient) -> None:
        self.urls = urls
        self.client = client

    async def call(self, method: str, service: str, path: str, *, token: str | None = None,
                   expect: tuple[int, ...] = (200, 201, 202, 204), **kwargs: Any) -> httpx.Response:
        url = f"{self.urls.service(service)}{path}"
        headers = kwargs.pop("headers", {}) | ({"Authorization": f"Bearer {token}"} if token else {})
        response = await self.client.request(method, url, headers=headers, timeout=15, **kwargs)
        if response.status_code not in expect:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(method, url, response.status_code, detail)
        return response

    async def json(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, service, path, **kwargs)
        return response.json() if response.content else None

    async def emulator(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.urls.emulator_control.rstrip('/')}{path}"
        response = await self.client.request(method, url, timeout=15, **kwargs)
        response.raise_for_status()
        return response.json()


async def eventually(probe: Callable[[], Awaitable[T | None]], *, what: str, timeout: float = 30.0,
                     interval: float = 0.2) -> T:
    """Poll `probe` until it returns something truthy (an ApiError counts as "not yet"); bounded."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = await probe()
            if result:
                return result
        except ApiError as exc:
            last = exc
        await asyncio.sleep(interval)
    answer = f" (last answer: {last})" if last else ""
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{answer}")
