"""A recruiter's standing (tsunagu_shared.standing) and tokens whose claims have the wrong type."""

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from tsunagu_shared.auth import InvalidToken, Principal, decode_token
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import CompanyStatusChanged, RecruiterChanged
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.standing import Standing, StandingView, refusal
from tsunagu_shared.testing import isolated_settings

RECRUITER = Principal(subject="rec-1", role="recruiter", company_id="co-1")


def test_a_recruiter_not_heard_of_is_trusted_on_her_token():
    assert refusal(RECRUITER, Standing()) is None
    assert refusal(RECRUITER, Standing(company_status="active", recruiter_active=True)) is None


def test_a_suspended_company_or_a_deactivated_recruiter_is_refused_with_the_reason():
    assert refusal(RECRUITER, Standing(company_status="inactive", company_change="suspended")) == (
        "company co-1 does not participate now (suspended): its recruiters may not act")
    assert refusal(RECRUITER, Standing(company_status="active", recruiter_active=False)) == (
        "recruiter rec-1 was deactivated by company co-1")


@pytest.mark.parametrize("claim, value", [("company_id", 12345), ("company_id", {"$ne": ""}), ("sub", 7),
                                          ("name", ["x"]), ("role", ["admin"])])
def test_a_signed_claim_of_the_wrong_type_is_an_invalid_token(claim, value):
    settings = ServiceSettings()
    claims = {"sub": "rec-1", "role": "recruiter", "company_id": "co-1", "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "exp": int(time.time()) + 600, claim: value}
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(settings, token)


async def test_the_view_keeps_the_newest_change_by_id():
    """On the real database: a late older event never undoes a newer one; recruiters are per company."""
    from tsunagu_shared import db as database

    settings = isolated_settings(ServiceSettings)
    client = database.connect(settings.mongo_url)
    try:
        view = StandingView(client[settings.database_name])
        now = datetime.now(UTC)

        def recruiter(company: str, active: bool, at: datetime) -> Envelope:
            return Envelope.wrap(RecruiterChanged(recruiter_id="rec-1", company_id=company, display_name="Sato",
                                                  active=active, changed_at=at), source="tests")

        def company(status: str, change: str, at: datetime) -> Envelope:
            return Envelope.wrap(CompanyStatusChanged(company_id="co-1", name="Co", status=status, change=change,
                                                      changed_at=at), source="tests")

        await view.record(recruiter("co-1", False, now))
        await view.record(recruiter("co-1", True, now - timedelta(seconds=5)))  # older, arriving late
        await view.record(recruiter("co-2", True, now))
        await view.record(company("inactive", "suspended", now))
        await view.record(company("active", "joined", now - timedelta(minutes=1)))
        standing = await view.standing(company_id="co-1", recruiter_id="rec-1")
        assert standing == Standing(company_status="inactive", company_change="suspended", recruiter_active=False)
        assert (await view.standing(company_id="co-2", recruiter_id="rec-1")).recruiter_active is True
        await view.record(company("active", "reactivated", now + timedelta(seconds=1)))
        assert await view.refusal(RECRUITER) == "recruiter rec-1 was deactivated by company co-1"
    finally:
        await client.drop_database(settings.database_name)
        await client.close()
