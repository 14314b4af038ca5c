"""An OpenID Connect identity provider for development and tests, standing in for a company's IdP.

What a real provider serves, and what the console and the services rely on: the discovery
document, the JWKS, the authorization-code flow with PKCE (S256) behind a sign-in page where
the person types who she is (there are no passwords here), and the token endpoint with
client_secret_basic or client_secret_post. Tokens are RS256 (ES256 on request) with the
`role`, `company_id` and `name` claims Tsunagu reads.

Control routes for tests, under /control: rotate the signing key (the old one stays published
unless `retire` is set), and mint a token directly (any claims, lifetime, algorithm, or signed by
a key that is not published).
"""

import base64
import hashlib
import html
import secrets
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa

DEFAULT_CLIENT_ID = "tsunagu-console"
DEFAULT_CLIENT_SECRET = "emulator-oidc-client-secret"
DEFAULT_AUDIENCE = "tsunagu"
CODE_SECONDS = 120


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: object

    @classmethod
    def new(cls, algorithm: str = "RS256") -> "SigningKey":
        private = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256"
                   else ec.generate_private_key(ec.SECP256R1()))
        return cls(kid=uuid.uuid4().hex[:16], algorithm=algorithm, private=private)

    def public_jwk(self) -> dict:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid})


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    claims: dict
    expires: float


@dataclass
class Provider:
    issuer: str
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    audience: str = DEFAULT_AUDIENCE
    token_seconds: int = 3600
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.new("RS256"), SigningKey.new("ES256")])
    grants: dict[str, Grant] = field(default_factory=dict)

    def signing_key(self, algorithm: str = "RS256") -> SigningKey:
        return next(k for k in reversed(self.keys) if k.algorithm == algorithm)

    def token(self, claims: dict, *, audience: str | None = None, seconds: int | None = None,
              algorithm: str = "RS256", key: SigningKey | None = None) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": audience or self.audience, "iat": now,
                "exp": now + (self.token_seconds if seconds is None else seconds), **claims}
        return (key or self.signing_key(algorithm)).sign(body)


def _person_claims(form) -> dict:
    claims = {"sub": form.get("subject", "").strip(), "role": form.get("role", "recruiter").strip()}
    for name in ("company_id", "name"):
        if form.get(name, "").strip():
            claims[name] = form[name].strip()
    return claims


def _sign_in_page(query: dict) -> str:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in query.items())
    return f"""<!doctype html><html lang="ja"><meta charset="utf-8"><title>Sign in (emulated IdP)</title>
<h1>サインイン (emulated identity provider)</h1>
<form method="post" action="authorize">{hidden}
<label>ユーザー ID / user id <input id="idp-subject" name="subject" required></label>
<label>会社 ID / company id <input id="idp-company" name="company_id"></label>
<label>表示名 / name <input id="idp-name" name="name"></label>
<label>役割 / role <select id="idp-role" name="role"><option>recruiter</option><option>admin</option></select></label>
<button id="idp-submit" type="submit">Sign in</button></form></html>"""


def oidc_app(provider: Provider) -> web.Application:
    app = web.Application()
    routes = web.RouteTableDef()
    _add_sign_in(routes, provider)
    _add_token(routes, provider)
    _add_control(routes, provider)
    app.add_routes(routes)
    return app


def _add_sign_in(routes: web.RouteTableDef, provider: Provider) -> None:
    """Discovery, keys and the authorization endpoint (its page and its form)."""

    @routes.get("/.well-known/openid-configuration")
    async def discovery(request: web.Request) -> web.Response:
        base = provider.issuer
        return web.json_response({
            "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks", "response_types_supported": ["code"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })

    @routes.get("/jwks")
    async def jwks(request: web.Request) -> web.Response:
        return web.json_response({"keys": [k.public_jwk() for k in provider.keys]})

    @routes.get("/authorize")
    async def authorize_page(request: web.Request) -> web.Response:
        query = dict(request.query)
        problem = _authorize_problem(provider, query)
        if problem:
            return web.Response(status=400, text=problem)
        return web.Response(text=_sign_in_page(query), content_type="text/html")

    @routes.post("/authorize")
    async def authorize(request: web.Request) -> web.Response:
        form = dict(await request.post())
        problem = _authorize_problem(provider, form)
        claims = _person_claims(form)
        if problem or not claims["sub"]:
            return web.Response(status=400, text=problem or "user id is required")
        code = secrets.token_urlsafe(24)
        provider.grants[code] = Grant(client_id=form["client_id"], redirect_uri=form["redirect_uri"],
                                      challenge=form["code_challenge"], nonce=form.get("nonce"), claims=claims,
                                      expires=time.time() + CODE_SECONDS)
        target = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', '')})}"
        raise web.HTTPFound(target)


def _add_token(routes: web.RouteTableDef, provider: Provider) -> None:
    """The token endpoint: a code, once, for the client it was issued to, with its PKCE verifier."""

    @routes.post("/token")
    async def token(request: web.Request) -> web.Response:
        form = dict(await request.post())
        client_id, client_secret = _client_credentials(request, form)
        if client_id != provider.client_id or client_secret != provider.client_secret:
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "authorization_code":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        grant = provider.grants.pop(form.get("code", ""), None)  # a code is used once
        if (grant is None or grant.expires < time.time() or grant.client_id != client_id
                or grant.redirect_uri != form.get("redirect_uri")):
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or digest != grant.challenge:
            return web.json_response({"error": "invalid_grant", "error_description": "PKCE verification failed"},
                                     status=400)
        id_claims = {**grant.claims, **({"nonce": grant.nonce} if grant.nonce else {})}
        return web.json_response({
            "token_type": "Bearer", "expires_in": provider.token_seconds,
            "access_token": provider.token(grant.claims),
            "id_token": provider.token(id_claims, audience=client_id),
        }, headers={"Cache-Control": "no-store"})


def _add_control(routes: web.RouteTableDef, provider: Provider) -> None:
    """What tests ask of the emulator: key rotation, tokens minted at will, and its health."""

    @routes.post("/control/rotate")
    async def rotate(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        algorithm = body.get("algorithm", "RS256")
        if body.get("retire"):
            provider.keys = [k for k in provider.keys if k.algorithm != algorithm]
        provider.keys.append(SigningKey.new(algorithm))
        return web.json_response({"kid": provider.signing_key(algorithm).kid})

    @routes.post("/control/token")
    async def mint(request: web.Request) -> web.Response:
        body = await request.json()
        key = SigningKey.new(body.get("algorithm", "RS256")) if body.get("unpublished_key") else None
        token = provider.token(body["claims"], audience=body.get("audience"), seconds=body.get("seconds"),
                               algorithm=body.get("algorithm", "RS256"), key=key)
        return web.json_response({"token": token})

    @routes.get("/healthz")
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


def _authorize_problem(provider: Provider, params: dict) -> str | None:
    if params.get("response_type") != "code":
        return "response_type must be code"
    if params.get("client_id") != provider.client_id:
        return "unknown client_id"
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return "redirect_uri is required"
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE with code_challenge_method S256 is required"
    return None


def _client_credentials(request: web.Request, form: dict) -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None, None
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")
