"""OpenID Connect sign-in for the console: the authorization-code flow with PKCE (S256).

The console is a confidential client: it authenticates to the token endpoint with its client
secret, verifies the ID token (signature against the provider's JWKS, issuer, audience = its
client id, nonce) and keeps the access token, which the services verify in their turn.
"""

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from tsunagu_shared.identity import IdentityError, ProviderKeys


@dataclass(frozen=True)
class SignedIn:
    claims: dict
    access_token: str
    expires_in: int


class SignInError(Exception):
    """The provider's answer cannot be trusted or used (the reason is safe to show)."""


def code_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class IdentityProviderClient:
    def __init__(self, keys: ProviderKeys, *, client_id: str, client_secret: str, redirect_uri: str,
                 http: httpx.AsyncClient) -> None:
        self._keys = keys
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._http = http
        self._endpoints: dict | None = None

    async def _discovery(self) -> dict:
        if self._endpoints is None:
            try:
                answer = await self._http.get(f"{self._keys.issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
                self._endpoints = answer.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SignInError("the identity provider cannot be reached") from exc
        return self._endpoints

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        endpoint = (await self._discovery())["authorization_endpoint"]
        query = urlencode({
            "response_type": "code", "client_id": self._client_id, "redirect_uri": self._redirect_uri,
            "scope": "openid profile", "state": state, "nonce": nonce,
            "code_challenge": code_challenge(code_verifier), "code_challenge_method": "S256",
        })
        return f"{endpoint}?{query}"

    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> SignedIn:
        endpoint = (await self._discovery())["token_endpoint"]
        try:
            answer = await self._http.post(endpoint, auth=(self._client_id, self._client_secret), data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": self._redirect_uri,
                "code_verifier": code_verifier})
        except httpx.HTTPError as exc:
            raise SignInError("the identity provider cannot be reached") from exc
        if answer.status_code != 200:
            raise SignInError(f"the identity provider refused the sign-in ({answer.status_code})")
        try:
            tokens = answer.json()
            id_token, access_token = tokens["id_token"], tokens["access_token"]
        except (ValueError, KeyError) as exc:
            raise SignInError("the identity provider answered without tokens") from exc
        try:
            claims = await self._keys.verify(id_token, audience=self._client_id, nonce=nonce)
        except IdentityError as exc:
            raise SignInError(f"the ID token does not hold: {exc}") from exc
        return SignedIn(claims=claims, access_token=access_token, expires_in=int(tokens.get("expires_in", 3600)))
