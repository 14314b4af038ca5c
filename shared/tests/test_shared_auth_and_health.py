"""Auth (401/403 for missing, expired, forged, wrong-role tokens) and the operations
endpoints every service has, on a minimal service built with the shared app factory."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jwt
from fastapi import APIRouter, Request
from tsunagu_shared.app import create_app
from tsunagu_shared.auth import AdminUser, CandidateUser, RecruiterUser, issue_token
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import free_port, isolated_settings, running_service


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


def probe_app(settings: ProbeSettings):
    router = APIRouter()

    @router.get("/mine")
    async def mine(user: CandidateUser) -> dict:
        return {"candidate": user.subject}

    @router.get("/company")
    async def company(user: RecruiterUser) -> dict:
        return {"company": user.company_id}

    @router.get("/admin")
    async def admin(user: AdminUser) -> dict:
        return {"admin": user.subject}

    @router.post("/notes")
    async def write_note(user: CandidateUser, request: Request) -> dict:
        await request.app.state.container.infra.db.notes.insert_one({"by": user.subject})
        return {"stored": True}

    async def bootstrap(s):
        return SimpleNamespace(infra=Infrastructure.open(s, outbox_collections=[]))

    return create_app(settings=settings, title="probe", description="probe", bootstrap=bootstrap, routers=[router])


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_tokens_are_checked_and_roles_enforced():
    settings = isolated_settings(ProbeSettings)
    async with running_service(probe_app(settings)) as client:
        candidate = issue_token(settings, subject="c1", role="candidate")
        recruiter = issue_token(settings, subject="r1", role="recruiter", company_id="co1")
        expired = issue_token(settings, subject="c1", role="candidate",
                              now=datetime.now(UTC) - timedelta(hours=2))
        forged = jwt.encode({"sub": "c1", "role": "admin", "iss": "tsunagu", "aud": "tsunagu",
                             "exp": int(datetime.now(UTC).timestamp()) + 600},
                            "an-attacker-secret-of-32-bytes-or-more", algorithm="HS256")
        unsigned = jwt.encode({"sub": "c1", "role": "admin"}, key=None, algorithm="none")

        assert (await client.get("/mine", headers=auth(candidate))).json() == {"candidate": "c1"}
        assert (await client.get("/company", headers=auth(recruiter))).json() == {"company": "co1"}

        missing = await client.get("/mine")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        for token, detail in ((expired, "token expired"), (forged, "invalid token"), (unsigned, "invalid token"),
                              ("not-a-jwt", "invalid token")):
            response = await client.get("/admin", headers=auth(token))
            assert response.status_code == 401, token
            assert response.json()["detail"] == detail

        wrong_role = await client.get("/company", headers=auth(candidate))
        assert wrong_role.status_code == 403
        assert (await client.get("/admin", headers=auth(recruiter))).status_code == 403


async def test_a_recruiter_token_without_company_is_refused():
    settings = isolated_settings(ProbeSettings)
    async with running_service(probe_app(settings)) as client:
        token = issue_token(settings, subject="r1", role="recruiter")
        assert (await client.get("/company", headers=auth(token))).status_code == 401


async def test_health_readiness_metrics_and_noindex():
    settings = isolated_settings(ProbeSettings)
    async with running_service(probe_app(settings)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
        await client.get("/mine")
        metrics = (await client.get("/metrics")).text
        assert 'tsunagu_http_requests_total{method="GET",route="/mine",status="401"}' in metrics
        assert ready.headers["x-robots-tag"] == "noindex, nofollow"


async def test_readiness_reports_an_unreachable_broker_and_database():
    settings = isolated_settings(
        ProbeSettings,
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        mongo_url=f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300",
    )
    app = probe_app(settings)
    async with app.router.lifespan_context(app):
        import httpx

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            token = issue_token(settings, subject="c1", role="candidate")
            write = await client.post("/notes", headers=auth(token))
    assert write.status_code == 503
    assert write.json()["detail"].startswith("the database is unavailable")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"].startswith("unavailable")
    assert checks["kafka"].startswith("unavailable")
