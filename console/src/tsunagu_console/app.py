"""The recruiter console: one static page, its sign-in, and a reverse proxy to the services.

The console is a backend for frontend. A recruiter signs in through the identity provider
(OpenID Connect, authorization code with PKCE) or, on local and test stacks only, with the
development login; either way the browser gets an HttpOnly session cookie and never a token.
`/api/<service>/<path>` reaches `<service>`'s public API at `/<path>` (the same shape as the
public route, `/<service>/...`) with the session's access token added here; a request that
changes something must carry the session's CSRF token in `X-CSRF-Token`. Operational paths
(/healthz, /readyz, /metrics) are not proxied.
"""

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, StringConstraints
from pymongo import AsyncMongoClient
from tsunagu_shared.auth import issue_token
from tsunagu_shared.identity import provider_keys
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.settings_contract import ADDRESS, SECRET

from tsunagu_console.sessions import Session, SessionStore
from tsunagu_console.sign_in import IdentityProviderClient, SignInError

STATIC = Path(__file__).parent / "static"
SERVICES = ("profile", "scout", "messaging", "events", "notify")
OPERATIONAL = {"healthz", "readyz", "metrics"}
FORWARDED_REQUEST = ("content-type", "accept", "accept-language")
FORWARDED_RESPONSE = ("content-type", "content-disposition", "retry-after", "x-robots-tag")
DEV_ENVIRONMENTS = ("local", "test")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
COOKIE = "tsunagu_session"
SIGN_IN_COOKIE = "tsunagu_sign_in"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    console_port: int = 8000
    # the console uses neither Kafka nor the search engine: nothing to give it in production
    kafka_bootstrap: str = ""
    kafka_create_topics: bool = False
    profile_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8001"
    scout_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8002"
    messaging_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8003"
    events_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8004"
    notify_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8005"
    proxy_timeout_seconds: float = 15.0
    # where recruiters reach the console: the identity provider sends them back to <this>/sign-in/callback
    console_public_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8000"
    # the console's registration at the identity provider (a confidential client)
    oidc_client_id: str = "tsunagu-console"
    oidc_client_secret: Annotated[str, SECRET] = "emulator-oidc-client-secret"
    # a session ends with its access token, and after this at the latest
    session_seconds: int = 8 * 3600

    def service_url(self, service: str) -> str:
        return getattr(self, f"{service}_url").rstrip("/")

    @property
    def public_url(self) -> str:
        return self.console_public_url.rstrip("/")

    @property
    def cookies_secure(self) -> bool:
        """Secure cookies everywhere but plain HTTP on this machine's loopback (a development stack)."""
        parts = urlsplit(self.public_url)
        return not (parts.scheme == "http" and parts.hostname in LOOPBACK)


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_.-]+$")]


class DevLogin(BaseModel):
    recruiter_id: Id
    company_id: Id
    display_name: str | None = Field(default=None, max_length=100)


def _signed_out(detail: str = "not signed in") -> HTTPException:
    return HTTPException(401, detail=detail)


class _Sessions:
    """What the sign-in and proxy routes share: the session cookie, the signed-in session, the CSRF check."""

    def __init__(self, app: FastAPI, settings: ConsoleSettings) -> None:
        self.app, self.settings = app, settings

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        # Lax, not Strict: the identity provider's redirect back is a top-level navigation from its site
        response.set_cookie(name, value, max_age=max_age, httponly=True, secure=self.settings.cookies_secure,
                            samesite="lax", path="/")

    async def open_session(self, response: Response, **fields) -> Session:
        secret, session = await self.app.state.sessions.open(**fields)
        seconds = int((session.expires_at - datetime.now(UTC)).total_seconds())
        self.set_cookie(response, COOKIE, secret, max(seconds, 1))
        return session

    async def current_session(self, request: Request) -> Session:
        session = await self.app.state.sessions.find(request.cookies.get(COOKIE))
        if session is None:
            raise _signed_out("not signed in, or the session has ended: sign in again")
        return session

    def check_csrf(self, request: Request, session: Session) -> None:
        """A request that changes something comes from the console's own page: same origin, and the
        session's CSRF token in a header a cross-site form cannot set."""
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") != self.settings.public_url:
            raise HTTPException(403, detail="cross-origin request refused")
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise HTTPException(403, detail="missing or wrong X-CSRF-Token header")


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mongo = AsyncMongoClient(settings.mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True)
        app.state.mongo = mongo
        async with httpx.AsyncClient(timeout=settings.proxy_timeout_seconds) as client:
            app.state.client = client
            app.state.sessions = SessionStore(mongo[settings.database_name], session_seconds=settings.session_seconds)
            keys = provider_keys(app.state, settings)
            app.state.identity_provider = keys and IdentityProviderClient(
                keys, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                redirect_uri=f"{settings.public_url}/sign-in/callback", http=client)
            try:
                yield
            finally:
                await mongo.close()

    app = FastAPI(title="Tsunagu recruiter console", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings

    @app.middleware("http")
    async def noindex(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    web = _Sessions(app, settings)
    _add_probes_and_page(app)
    _add_sign_in(app, web)
    _add_session(app, web)
    _add_dev_login(app, web)
    _add_proxy(app, web)
    return app


def _add_probes_and_page(app: FastAPI) -> None:
    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Ready while its database (the sessions) answers; the services behind it have their own probes."""
        try:
            await app.state.mongo.admin.command("ping")
        except Exception as exc:  # any failure to reach the database means not ready
            return JSONResponse({"status": "unavailable", "checks": {"database": type(exc).__name__}}, 503)
        return JSONResponse({"status": "ready", "checks": {"database": "ok"}})

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        """The console page (static HTML and JavaScript on the public APIs)."""
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        path = STATIC / name
        if name not in {p.name for p in STATIC.iterdir()}:
            raise HTTPException(404, detail="not found")
        return FileResponse(path)


def _add_sign_in(app: FastAPI, web: _Sessions) -> None:
    settings = web.settings

    @app.get("/sign-in/options")
    async def sign_in_options() -> dict:
        """How a recruiter may sign in here: the identity provider, and the development login on
        local and test stacks."""
        return {"identity_provider": app.state.identity_provider is not None,
                "development_login": settings.environment in DEV_ENVIRONMENTS, "environment": settings.environment}

    @app.get("/sign-in")
    async def sign_in() -> RedirectResponse:
        """Send the recruiter to the identity provider (authorization code with PKCE)."""
        provider = app.state.identity_provider
        if provider is None:
            raise HTTPException(404, detail="no identity provider is configured for this console")
        pending = await app.state.sessions.begin_sign_in()
        try:
            target = await provider.authorization_url(state=pending.state, nonce=pending.nonce,
                                                      code_verifier=pending.code_verifier)
        except SignInError as exc:
            raise HTTPException(502, detail=str(exc)) from None
        response = RedirectResponse(target, status_code=303)
        # binds the answer to this browser: a sign-in started elsewhere cannot be completed here
        web.set_cookie(response, SIGN_IN_COOKIE, pending.state, 600)
        return response

    @app.get("/sign-in/callback")
    async def sign_in_callback(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
        """The identity provider's answer: exchange the code, verify the ID token, open a session."""
        provider = app.state.identity_provider
        if provider is None:
            raise HTTPException(404, detail="no identity provider is configured for this console")
        if error:
            raise HTTPException(400, detail=f"the identity provider did not sign you in ({error[:100]})")
        if not state or not hmac.compare_digest(state.encode(), request.cookies.get(SIGN_IN_COOKIE, "").encode()):
            raise HTTPException(400, detail="this sign-in was not started in this browser: start again")
        pending = await app.state.sessions.finish_sign_in(state)
        if pending is None or not code:
            raise HTTPException(400, detail="this sign-in has expired or was already used: start again")
        try:
            signed_in = await provider.exchange(code=code, code_verifier=pending.code_verifier, nonce=pending.nonce)
        except SignInError as exc:
            raise HTTPException(502, detail=str(exc)) from None
        claims = signed_in.claims
        if claims.get("role") != "recruiter" or not isinstance(claims.get("company_id"), str):
            raise HTTPException(403, detail="the console is for recruiters of a registered company")
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
        await web.open_session(response, recruiter_id=claims["sub"], company_id=claims["company_id"],
                           name=claims.get("name"), access_token=signed_in.access_token,
                           token_expires_at=datetime.now(UTC) + timedelta(seconds=signed_in.expires_in),
                           how="identity provider")
        return response


def _add_session(app: FastAPI, web: _Sessions) -> None:
    @app.get("/session")
    async def session_info(request: Request) -> dict:
        """Who is signed in, until when, and the CSRF token the page sends with its changes."""
        session = await web.current_session(request)
        return {"recruiter_id": session.recruiter_id, "company_id": session.company_id, "name": session.name,
                "expires_at": session.expires_at.isoformat(), "csrf_token": session.csrf_token,
                "signed_in_with": session.how}

    @app.post("/sign-out")
    async def sign_out(request: Request) -> JSONResponse:
        session = await web.current_session(request)
        web.check_csrf(request, session)
        await app.state.sessions.close(request.cookies.get(COOKIE))
        response = JSONResponse({"signed_out": True})
        response.delete_cookie(COOKIE, path="/")
        return response


def _add_dev_login(app: FastAPI, web: _Sessions) -> None:
    settings = web.settings

    @app.post("/dev/login")
    async def dev_login(body: DevLogin) -> JSONResponse:
        """Development login: a session for any recruiter id, with a token signed with the stack's secret;
        local and test stacks only (404 elsewhere)."""
        if settings.environment not in DEV_ENVIRONMENTS:
            raise HTTPException(404, detail="development login is disabled in this environment")
        ttl = timedelta(hours=1)
        token = issue_token(settings, subject=body.recruiter_id, role="recruiter", company_id=body.company_id,
                            name=body.display_name, ttl=ttl)
        response = JSONResponse({"recruiter_id": body.recruiter_id, "company_id": body.company_id,
                                 "development_login": True})
        await web.open_session(response, recruiter_id=body.recruiter_id, company_id=body.company_id,
                           name=body.display_name, access_token=token,
                           token_expires_at=datetime.now(UTC) + ttl, how="development login")
        return response


def _add_proxy(app: FastAPI, web: _Sessions) -> None:
    settings = web.settings

    @app.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def proxy(service: str, path: str, request: Request) -> Response:
        """Forward to the service's public API with the session's token; its answer (status, body,
        errors) comes back unchanged."""
        if service not in SERVICES or path.split("/", 1)[0] in OPERATIONAL:
            raise HTTPException(404, detail=f"no API {service}/{path} behind this console")
        session = await web.current_session(request)
        if request.method not in SAFE_METHODS:
            web.check_csrf(request, session)
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST}
        headers["Authorization"] = f"Bearer {session.access_token}"
        try:
            answer = await app.state.client.request(
                request.method, f"{settings.service_url(service)}/{path}", params=request.query_params,
                content=await request.body(), headers=headers)
        except httpx.TimeoutException:
            raise HTTPException(504, detail=f"the {service} service did not answer in time") from None
        except httpx.HTTPError as exc:
            raise HTTPException(502, detail=f"the {service} service cannot be reached ({type(exc).__name__})") from None
        kept = {k: v for k, v in answer.headers.items() if k.lower() in FORWARDED_RESPONSE}
        return Response(answer.content, status_code=answer.status_code, headers=kept)
