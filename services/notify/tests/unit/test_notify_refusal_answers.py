"""How notify's refusals are answered over HTTP (entrypoints/api.py ERRORS): the statuses, `detail`s
and headers clients rely on, checked on an app that installs only that mapping; and who may send to
a segment (domain/senders.py)."""

import httpx
import pytest
from fastapi import FastAPI
from tsunagu_notify.domain.errors import PlatformNameRefused, RecipientNotVisible, SendRefused
from tsunagu_notify.domain.senders import sending_company
from tsunagu_notify.entrypoints.api import ERRORS
from tsunagu_notify.entrypoints.clock import ClockControlDisabled
from tsunagu_notify.entrypoints.webhook_bodies import EmailBounce, MalformedWebhookBody, read_json
from tsunagu_notify.entrypoints.webhooks import ForgedSignature
from tsunagu_notify.handlers.line_accounts import LineUnavailable, LineUserRefused, LinkRefused, NoLineLink
from tsunagu_notify.handlers.segment_sends import SenderUnknown, SendIdTaken
from tsunagu_shared.errors import answer_errors

REFUSALS: dict[str, tuple[Exception, int, object, dict[str, str]]] = {
    "hidden recipient": (RecipientNotVisible("c-1"), 404, "no such recipient", {}),
    "not linked": (NoLineLink("no LINE account linked"), 404, "no LINE account linked", {}),
    "clock fixed": (ClockControlDisabled(), 404, "clock control is disabled in this environment", {}),
    "forged": (ForgedSignature(), 403, "invalid signature", {}),
    "send refused": (SendRefused("company_id: not your company"), 403, "company_id: not your company", {}),
    "link token": (LinkRefused("unknown link token"), 400, "link_token: unknown link token", {}),
    "platform name": (PlatformNameRefused(), 422, [{
        "loc": ["body", "company_name"], "type": "value_error",
        "msg": "a company's send carries its registered name; company_name names only a platform send"}], {}),
    "LINE refuses": (LineUserRefused("400 invalid user"), 422, "line_user_id: LINE refused it (400 invalid user)", {}),
    "send id": (SendIdTaken("s-1"), 409, "send_id: s-1 already names another send; choose another id", {}),
    "sender": (SenderUnknown("co-9"), 409,
               "company_id: notify has not yet heard of company co-9 (its registered name); try again shortly", {}),
    "LINE away": (LineUnavailable("timeout"), 503, "LINE is unavailable; try again shortly", {"retry-after": "5"}),
}


async def answer_to(error: Exception) -> httpx.Response:
    app = FastAPI()
    answer_errors(app, ERRORS)

    @app.get("/refuse")
    async def refuse() -> None:
        raise error

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        return await client.get("/refuse")


@pytest.mark.parametrize("case", REFUSALS)
async def test_each_refusal_keeps_its_status_detail_and_headers(case: str) -> None:
    error, status, detail, headers = REFUSALS[case]
    response = await answer_to(error)
    assert (response.status_code, response.json()) == (status, {"detail": detail}), response.text
    for name, value in headers.items():
        assert response.headers[name] == value


async def test_a_malformed_webhook_body_names_the_field() -> None:
    with pytest.raises(MalformedWebhookBody) as refused:
        read_json(EmailBounce, b'{"id": "b-1", "email": {"$regex": "."}, "type": "hard"}')
    response = await answer_to(refused.value)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("malformed webhook body: email: "), response.text


def test_admins_send_for_any_company_or_the_platform() -> None:
    assert sending_company("admin", None, "co-1", None) == "co-1"
    assert sending_company("admin", None, None, "Tsunagu 運営") is None


def test_a_recruiter_sends_only_for_her_own_company() -> None:
    assert sending_company("recruiter", "co-1", None, None) == "co-1"
    assert sending_company("recruiter", "co-1", "co-1", None) == "co-1"
    with pytest.raises(SendRefused, match="company_id: not your company"):
        sending_company("recruiter", "co-1", "co-2", None)


def test_candidates_do_not_send_to_segments() -> None:
    with pytest.raises(SendRefused, match="role candidate may not send to segments"):
        sending_company("candidate", None, None, None)


def test_a_company_send_carries_no_other_name() -> None:
    with pytest.raises(PlatformNameRefused):
        sending_company("recruiter", "co-1", None, "Tsunagu 運営事務局")
    with pytest.raises(PlatformNameRefused):
        sending_company("admin", None, "co-1", "Tsunagu 運営事務局")
