"""The recruiter console: one static page, a development login, and a reverse proxy to the services.

`/api/<service>/<path>` reaches `<service>`'s public API at `/<path>` (the same shape as the
deploy ingress, `/<service>/...`), so the page calls the APIs on its own origin, without CORS.
Operational paths (/healthz, /readyz, /metrics) are not proxied, as at the ingress.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, StringConstraints

from tsunagu_shared.auth import issue_token
from tsunagu_shared.settings import ServiceSettings

STATIC = Path(__file__).parent / "static"
SERVICES = ("profile", "scout", "messaging", "events", "notify")
OPERATIONAL = {"healthz", "readyz", "metrics"}
FORWARDED_REQUEST = ("authorization", "content-type", "accept")
FORWARDED_RESPONSE = ("content-type", "content-disposition", "retry-after", "x-robots-tag")
DEV_ENVIRONMENTS = ("local", "test")


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    console_port: int = 8000
    profile_url: str = "http://127.0.0.1:8001"
    scout_url: str = "http://127.0.0.1:8002"
    messaging_url: str = "http://127.0.0.1:8003"
    events_url: str = "http://127.0.0.1:8004"
    notify_url: str = "http://127.0.0.1:8005"
    proxy_timeout_seconds: float = 15.0

    def service_url(self, service: str) -> str:
        return getattr(self, f"{service}_url").rstrip("/")


Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_.-]+$")]


class DevLogin(BaseModel):
    recruiter_id: Id
    company_id: Id
    display_name: str | None = Field(default=None, max_length=100)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.proxy_timeout_seconds) as client:
            app.state.client = client
            yield

    app = FastAPI(title="Tsunagu recruiter console", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings

    @app.middleware("http")
    async def noindex(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

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

    @app.get("/dev/login")
    async def dev_login_available() -> dict:
        """Whether the development login is offered here (local and test stacks only)."""
        return {"enabled": settings.environment in DEV_ENVIRONMENTS, "environment": settings.environment}

    @app.post("/dev/login")
    async def dev_login(body: DevLogin) -> dict:
        """Development login: a recruiter token signed with the stack's secret, for local and test
        stacks only (404 elsewhere; production recruiters sign in with the identity provider)."""
        if settings.environment not in DEV_ENVIRONMENTS:
            raise HTTPException(404, detail="development login is disabled in this environment")
        token = issue_token(settings, subject=body.recruiter_id, role="recruiter", company_id=body.company_id,
                            name=body.display_name)
        return {"token": token, "recruiter_id": body.recruiter_id, "company_id": body.company_id,
                "development_login": True}

    @app.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def proxy(service: str, path: str, request: Request) -> Response:
        """Forward to the service's public API; its answer (status, body, errors) comes back unchanged."""
        if service not in SERVICES or path.split("/", 1)[0] in OPERATIONAL:
            raise HTTPException(404, detail=f"no API {service}/{path} behind this console")
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST}
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

    return app
