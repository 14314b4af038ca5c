"""The profile service's published API, as far as messaging uses it."""

from typing import Protocol

import httpx
from tsunagu_shared.auth import issue_token
from tsunagu_shared.settings import ServiceSettings


class ProfileUnavailable(Exception):
    """The profile service did not take the change (down, slow, or refused)."""


class ProfileClient(Protocol):
    async def set_preferred_channel(self, candidate_id: str, channel: str) -> None: ...


class HttpProfileClient:
    """PATCH /profiles/{id}/contact-preferences with a service token and a short timeout."""

    def __init__(self, settings: ServiceSettings, *, base_url: str, timeout: float) -> None:
        self._settings = settings
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout

    async def set_preferred_channel(self, candidate_id: str, channel: str) -> None:
        token = issue_token(self._settings, subject="messaging", role="service")
        url = f"{self._base_url}/profiles/{candidate_id}/contact-preferences"
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.patch(
                    url, json={"preferred_channel": channel}, headers={"Authorization": f"Bearer {token}"}
                )
        except httpx.HTTPError as exc:
            raise ProfileUnavailable(f"profile service unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise ProfileUnavailable(f"profile service answered {response.status_code}")
