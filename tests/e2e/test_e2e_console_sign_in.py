"""Signing in to the console through the identity provider, on the real stack: the
authorization-code flow with PKCE against the emulated OpenID Connect issuer, a session cookie
the page cannot read, tokens that never reach the browser, CSRF on every change, and the
provider's RS256 token accepted by the services behind the console."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tsunagu_tools.demo.cast import new_cast, seed_companies
from tsunagu_tools.stack import Api, StackUrls, Tokens

pytestmark = pytest.mark.slow
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def cookie_attributes(response: httpx.Response, name: str) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(f"{name}="))


async def sign_in(console: httpx.AsyncClient, company) -> tuple[httpx.Response, str]:
    """Follow the flow as a browser would: console → provider's sign-in page → console callback."""
    start = await console.get("/sign-in")
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] and query["state"]
    assert "HttpOnly" in cookie_attributes(start, "tsunagu_sign_in")
    idp_base = f"{authorize.scheme}://{authorize.netloc}"
    async with httpx.AsyncClient(base_url=idp_base) as idp:
        page = await idp.get(authorize.path, params=query)
        assert page.status_code == 200 and 'name="subject"' in page.text
        answer = await idp.post(authorize.path, data={
            **query, "subject": company.recruiter_id, "company_id": company.company_id, "role": "recruiter",
            "name": company.recruiter_name})
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["location"])
    return await console.get(f"{callback.path}?{callback.query}"), callback.query


async def test_a_recruiter_signs_in_through_the_identity_provider_and_never_holds_a_token(e2e_stack):
    urls, tokens, cast = StackUrls.from_env(e2e_stack.env), Tokens(), new_cast()
    company = cast.company("A")
    async with httpx.AsyncClient() as client:
        await seed_companies(Api(urls, client), tokens, cast)

    async with httpx.AsyncClient(base_url=e2e_stack.url("console"), timeout=30) as console:
        options = (await console.get("/sign-in/options")).json()
        assert options["identity_provider"] is True
        assert (await console.get("/session")).status_code == 401

        done, callback_query = await sign_in(console, company)
        assert done.status_code == 303 and done.headers["location"] == "/"
        attributes = cookie_attributes(done, "tsunagu_session")
        assert "HttpOnly" in attributes and "SameSite=lax" in attributes.replace("Lax", "lax")
        # a plain-HTTP loopback console cannot set Secure cookies; anything else does (console/tests)
        session = await console.get("/session")
        assert session.status_code == 200
        body = session.json()
        assert (body["recruiter_id"], body["company_id"], body["signed_in_with"]) == (
            company.recruiter_id, company.company_id, "identity provider")
        assert not JWT.search(session.text) and "access_token" not in session.text

        # the services behind the console accept the provider's RS256 token the console holds
        me = await console.get("/api/scout/companies/me")
        assert me.status_code == 200 and me.json()["name"] == company.name

        # a change without the session's CSRF token, or from another origin, is refused before any service
        change = {"candidate_id": "nobody", "reason": "x"}
        assert (await console.post("/api/scout/scouts", json=change)).status_code == 403
        assert (await console.post("/api/scout/scouts", json=change, headers={
            "X-CSRF-Token": body["csrf_token"], "Origin": "https://evil.example"})).status_code == 403
        with_token = await console.post("/api/scout/scouts", json=change, headers={"X-CSRF-Token": body["csrf_token"]})
        assert with_token.status_code not in (401, 403)  # reached scout, which judges the scout itself

        # the provider's answer cannot be used twice
        replay = await console.get(f"/sign-in/callback?{callback_query}")
        assert replay.status_code == 400

        signed_out = await console.post("/sign-out", headers={"X-CSRF-Token": body["csrf_token"]})
        assert signed_out.status_code == 200
        console.cookies.clear()
        assert (await console.get("/api/scout/companies/me")).status_code == 401


async def test_an_answer_from_a_sign_in_started_in_another_browser_is_refused(e2e_stack):
    async with httpx.AsyncClient(base_url=e2e_stack.url("console"), timeout=30) as mine, \
            httpx.AsyncClient(base_url=e2e_stack.url("console"), timeout=30) as attacker:
        # the attacker starts a sign-in and lures her to his callback URL (login CSRF)
        await attacker.get("/sign-in")
        start = await attacker.get("/sign-in")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        answer = await mine.get(f"/sign-in/callback?state={state}&code=stolen")
        assert answer.status_code == 400
        assert "not started in this browser" in answer.json()["detail"]
        assert "tsunagu_session" not in answer.headers.get("set-cookie", "")
