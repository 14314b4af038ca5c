"""Tokens of an OpenID Connect identity provider, verified against its published keys.

Production recruiters sign in with the company's identity provider (through the console), which
signs access tokens with RS256 or ES256. A service verifies such a token with the provider's
JWKS: found through the discovery document, cached, fetched again when a token names a key id
it has not seen (the provider rotated its keys), but at most once per `oidc_jwks_min_refresh_seconds`
so forged key ids cannot make a service hammer the provider. Issuer, audience and expiry are
checked as for the shared-secret tokens of local and test stacks.
"""

import asyncio
import time
from typing import Any

import httpx
import jwt

ASYMMETRIC = ("RS256", "ES256")


class IdentityError(Exception):
    """The token cannot be verified with the provider's keys (the reason is safe to show)."""


class ProviderKeys:
    """The signing keys one identity provider publishes, cached in this process."""

    def __init__(self, issuer: str, *, jwks_url: str | None = None, cache_seconds: float = 300.0,
                 min_refresh_seconds: float = 10.0, timeout_seconds: float = 5.0) -> None:
        self.issuer = issuer.rstrip("/")
        self._jwks_url = jwks_url
        self._cache_seconds = cache_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._timeout = timeout_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if not kid:
            raise IdentityError("token without a key id")
        if kid in self._keys and time.monotonic() - self._fetched_at < self._cache_seconds:
            return self._keys[kid]
        async with self._lock:
            # another request may have refreshed while this one waited
            age = time.monotonic() - self._fetched_at
            if age >= self._cache_seconds or (kid not in self._keys and age >= self._min_refresh_seconds):
                await self._refresh()
        if kid not in self._keys:
            raise IdentityError("token signed with a key the identity provider does not publish")
        return self._keys[kid]

    async def _refresh(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                url = self._jwks_url or await self._discover(client)
                answer = await client.get(url)
                answer.raise_for_status()
                document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            # keep the keys already known: a provider that blips must not log everyone out
            self._fetched_at = time.monotonic() - self._cache_seconds + self._min_refresh_seconds
            if not self._keys:
                raise IdentityError("the identity provider's keys cannot be fetched") from exc
            return
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or not entry.get("kid"):
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK.from_dict(entry)
            except jwt.PyJWTError:
                continue  # a key type this service cannot use is not one it will be asked for
        self._keys = keys
        self._fetched_at = time.monotonic()

    async def _discover(self, client: httpx.AsyncClient) -> str:
        answer = await client.get(f"{self.issuer}/.well-known/openid-configuration")
        answer.raise_for_status()
        self._jwks_url = answer.json()["jwks_uri"]
        return self._jwks_url

    async def verify(self, token: str, *, audience: str, required: tuple[str, ...] = ("sub", "exp", "iss", "aud"),
                     nonce: str | None = None) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and expiry hold."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise IdentityError("invalid token") from exc
        if header.get("alg") not in ASYMMETRIC:
            raise IdentityError("token not signed by the identity provider")
        key = await self.key(header.get("kid"))
        try:
            claims = jwt.decode(token, key, algorithms=list(ASYMMETRIC), audience=audience, issuer=self.issuer,
                                options={"require": list(required)})
        except jwt.ExpiredSignatureError as exc:
            raise IdentityError("token expired") from exc
        except jwt.PyJWTError as exc:
            raise IdentityError("invalid token") from exc
        if nonce is not None and claims.get("nonce") != nonce:
            raise IdentityError("the sign-in answer does not belong to this sign-in (nonce)")
        return claims


def provider_keys(holder: Any, settings: Any) -> ProviderKeys | None:
    """The provider keys cached on `holder` (an app's state), made on first use; None when the
    settings name no identity provider."""
    if not settings.oidc_issuer:
        return None
    keys = getattr(holder, "provider_keys", None)
    if keys is None:
        keys = ProviderKeys(settings.oidc_issuer, jwks_url=settings.oidc_jwks_url,
                            cache_seconds=settings.oidc_jwks_cache_seconds,
                            min_refresh_seconds=settings.oidc_jwks_min_refresh_seconds)
        holder.provider_keys = keys
    return keys
