"""Tokens of the identity provider (RS256/ES256 against its JWKS) on a minimal service, with the
emulated OpenID Connect issuer running for real: discovery, rotation, expiry, forged keys,
wrong audience, and shared-secret tokens refused for people where production refuses them."""

import asyncio
from types import SimpleNamespace

import httpx
from fastapi import APIRouter
from tsunagu_emulators.server import EmulatorPorts, start_emulators
from tsunagu_shared.app import create_app
from tsunagu_shared.auth import AdminUser, RecruiterUser, issue_token
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import isolated_settings, running_service


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


def probe_app(settings: ProbeSettings):
    router = APIRouter()

    @router.get("/company")
    async def company(user: RecruiterUser) -> dict:
        return {"company": user.company_id}

    @router.get("/admin")
    async def admin(user: AdminUser) -> dict:
        return {"admin": user.subject}

    async def bootstrap(s):
        return SimpleNamespace(infra=Infrastructure.open(s, outbox_collections=[]))

    return create_app(settings=settings, title="probe", description="probe", bootstrap=bootstrap, routers=[router])


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def recruiter_claims(subject: str = "r1", company: str = "co1") -> dict:
    return {"sub": subject, "role": "recruiter", "company_id": company, "name": "山田"}


async def mint(client: httpx.AsyncClient, issuer: str, **body) -> str:
    body.setdefault("claims", recruiter_claims())
    answer = await client.post(f"{issuer}/control/token", json=body)
    answer.raise_for_status()
    return answer.json()["token"]


async def test_provider_tokens_are_verified_against_its_published_keys():
    emulators = await start_emulators(EmulatorPorts(control=0, twilio=0, line=0, smtp=0))
    issuer = emulators.oidc_issuer
    try:
        settings = isolated_settings(ProbeSettings, oidc_issuer=issuer, oidc_jwks_cache_seconds=300,
                                     oidc_jwks_min_refresh_seconds=1)
        async with running_service(probe_app(settings)) as service, httpx.AsyncClient() as idp:
            rs256 = await mint(idp, issuer)
            assert (await service.get("/company", headers=auth(rs256))).json() == {"company": "co1"}
            es256 = await mint(idp, issuer, algorithm="ES256", claims=recruiter_claims(company="co2"))
            assert (await service.get("/company", headers=auth(es256))).json() == {"company": "co2"}

            refused = {
                "token expired": await mint(idp, issuer, seconds=-60),
                "token signed with a key the identity provider does not publish":
                    await mint(idp, issuer, unpublished_key=True),
                "invalid token": await mint(idp, issuer, audience="another-api"),
                "token claim company_id must be a string":
                    await mint(idp, issuer, claims={**recruiter_claims(), "company_id": 42}),
            }
            for detail, token in refused.items():
                answer = await service.get("/company", headers=auth(token))
                assert (answer.status_code, answer.json()["detail"]) == (401, detail)

            # The provider rotates and retires its key: a token of the new key is accepted at once
            # (an unknown key id fetches the keys again), one of the retired key no longer.
            old = await mint(idp, issuer)
            await asyncio.sleep(1.1)  # the forged key id above just refreshed the keys: past the minimum interval
            (await idp.post(f"{issuer}/control/rotate", json={"algorithm": "RS256", "retire": True})).raise_for_status()
            new = await mint(idp, issuer, claims=recruiter_claims(company="co3"))
            assert (await service.get("/company", headers=auth(new))).json() == {"company": "co3"}
            assert (await service.get("/company", headers=auth(old))).status_code == 401
    finally:
        await emulators.stop()


async def test_shared_secret_tokens_are_refused_to_people_where_only_services_may_use_them():
    settings = isolated_settings(ProbeSettings, shared_secret_roles=["service"], oidc_issuer=None)
    async with running_service(probe_app(settings)) as service:
        for role, path, claims in (("recruiter", "/company", {"company_id": "co1"}), ("admin", "/admin", {})):
            token = issue_token(settings, subject="p1", role=role, **claims)
            answer = await service.get(path, headers=auth(token))
            assert (answer.status_code, answer.json()["detail"]) == (
                401, f"a {role} signs in through the identity provider here")
        # and without a provider configured, a provider's token is refused, not tried
        emulators = await start_emulators(EmulatorPorts(control=0, twilio=0, line=0, smtp=0))
        try:
            async with httpx.AsyncClient() as idp:
                token = await mint(idp, emulators.oidc_issuer)
        finally:
            await emulators.stop()
        answer = await service.get("/company", headers=auth(token))
        assert (answer.status_code, answer.json()["detail"]) == (
            401, "tokens of an identity provider are not accepted here")
