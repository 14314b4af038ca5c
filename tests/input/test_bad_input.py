"""Bad input, as a careless client or an attacker sends it, to the five services on the real stack:
each is a 4xx that names the field (or the problem), never a server error, and a webhook body carrying
a query where a value belongs changes nothing."""

import hashlib
import hmac
import json

import httpx
import pytest
from tsunagu_emulators.line_api import sign_line
from tsunagu_emulators.twilio_api import sign_twilio
from tsunagu_notify.config import NotifySettings

NOTIFY = NotifySettings()  # the processes run with the default provider secrets
EDGES = ("9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00")
JSON = {"Content-Type": "application/json"}
EVENT = {"kind": "info_session", "title": "説明会", "starts_at": "2030-01-10T18:00:00+09:00",
         "time_zone": "Asia/Tokyo", "venue": "Tokyo", "capacity": 10}


def raw(text: str) -> bytes:
    return text.encode()


# (service, who, method, path, request, status, what the answer must name: a loc or a phrase of the detail)
CASES = [
    # JSON that RFC 8259 does not allow, in every service
    ("profile", "candidate", "PATCH", "/profiles/me", {"content": raw('{"graduation_year": NaN}')}, 422,
     ["body", "graduation_year"]),
    ("scout", "admin", "POST", "/admin/companies", {"content": raw('{"name": "\\ud800", "plan": {"name": "x"}}')},
     422, ["body", "name"]),
    ("messaging", "recruiter", "POST", "/threads/t-1/offers",
     {"content": raw('{"terms": "x", "respond_by": Infinity}')}, 422, ["body", "respond_by"]),
    ("events", "admin", "POST", "/events", {"content": raw('{"capacity": -Infinity}')}, 422, ["body", "capacity"]),
    ("notify", "admin", "POST", "/segment-sends",
     {"content": raw('{"segment": {"schools": ["\\udc00"]}, "message": "x"}')}, 422, ["body", "segment", "schools", 0]),
    # bodies larger than a JSON route takes, in every service
    *[(service, "admin", "POST", path, {"json": {"x": "y" * 100_000}}, 413, "larger than")
      for service, path in (("profile", "/profiles/me"), ("scout", "/admin/companies"), ("messaging", "/threads"),
                            ("events", "/events"), ("notify", "/segment-sends"))],
    # lists are emptied with [], not null
    *[("profile", "candidate", "PATCH", "/profiles/me", {"json": {name: None}}, 422, ["body", name])
      for name in ("languages", "industries", "job_types")],
    # phone numbers and addresses
    ("profile", "candidate", "PATCH", "/profiles/me", {"json": {"phone": "0120"}}, 422, ["body", "phone"]),
    ("profile", "candidate", "PATCH", "/profiles/me", {"json": {"email": "hanako@example..jp"}}, 422,
     ["body", "email"]),
    # calendar edges wherever a moment is accepted
    *[case for edge in EDGES for case in (
        ("events", "admin", "POST", "/events", {"json": {**EVENT, "starts_at": edge}}, 422, ["body", "starts_at"]),
        ("events", "admin", "POST", "/events", {"json": {**EVENT, "registration_closes_at": edge}}, 422,
         ["body", "registration_closes_at"]),
        ("messaging", "recruiter", "POST", "/threads/t-1/offers", {"json": {"terms": "x", "respond_by": edge}}, 422,
         ["body", "respond_by"]),
        ("messaging", "recruiter", "POST", "/threads/t-1/interviews",
         {"json": {"slots": [{"starts_at": edge}]}}, 422, ["body", "slots", 0, "starts_at"]),
        ("messaging", "recruiter", "POST", "/threads/t-1/interviews",
         {"json": {"slots": [{"starts_at": "2030-01-10T10:00:00+09:00"}], "respond_by": edge}}, 422,
         ["body", "respond_by"]),
        ("messaging", "recruiter", "POST", "/interviews/i-1/slots",
         {"json": {"slots": [{"starts_at": "2030-01-10T10:00:00+09:00"}], "respond_by": edge}}, 422,
         ["body", "respond_by"]),
        ("profile", "service", "GET", "/profiles", {"params": {"active_since": edge}}, 422,
         ["query", "active_since"]),
        ("scout", "recruiter", "POST", "/campaigns",
         {"files": {"file": ("a.csv", b"name,email\r\nA,a@example.jp\r\n")}, "data": {"name": "x", "deadline": edge}},
         422, ["body", "deadline"]),
        ("notify", "admin", "PUT", "/admin/clock", {"json": {"now": edge}}, 422, ["body", "now"]),
    )],
    # segment filters: an integer past 64 bits, a lone surrogate
    ("notify", "admin", "POST", "/segment-sends", {"json": {"segment": {"graduation_years": [10**30]}, "message": "x"}},
     422, ["body", "segment", "graduation_years", 0]),
    ("notify", "admin", "POST", "/segment-sends",
     {"content": raw('{"segment": {"survey": {"q1": ["\\ud800"]}}, "message": "x"}')}, 422,
     ["body", "segment", "survey", "q1", 0]),
    # ATS CSV headers a document key cannot hold, and a mapping nested without end: refused at upload
    *[("scout", "recruiter", "POST", "/campaigns",
       {"files": {"file": ("a.csv", f"name,email,{header}\r\nA,a@example.jp,1\r\n".encode())}, "data": {"name": "x"}},
       422, "column header") for header in ("$where", "a.b", "memo\0")],
    ("scout", "recruiter", "POST", "/campaigns",
     {"files": {"file": ("a.csv", b"name,email\r\nA,a@example.jp\r\n")},
      "data": {"name": "x", "mapping": '{"name": ' * 5000 + '"name"' + "}" * 5000}}, 422, "mapping"),
    # webhooks: a byte that is not UTF-8, unsigned; signed bodies that do not fit
    ("notify", None, "POST", "/webhooks/line", {"content": b"\xff"}, 422, ["body"]),
    ("notify", None, "POST", "/webhooks/line", {"content": b"\xff", "headers": {"Content-Type": "text/plain"}}, 403,
     "signature"),
]

SIGNED = [
    # (path, body, what the 400 names)
    ("/webhooks/line", {"events": [{"type": "follow", "source": {"userId": {"$ne": None}}}]}, "events.0.source.userId"),
    ("/webhooks/line", {"events": [{"type": "unfollow", "webhookEventId": 7}]}, "events.0.webhookEventId"),
    ("/webhooks/line", [], "body"),
    ("/webhooks/email/bounce", {"id": "b1", "email": {"$regex": "^x\\."}, "type": "hard"}, "email"),
    ("/webhooks/email/bounce", {"id": "b1", "email": ["a@example.jp"], "type": "hard"}, "email"),
    ("/webhooks/email/bounce", {"id": {"$gt": ""}, "email": "a@example.jp", "type": "hard"}, "id"),
]


def _headers(stack, who: str | None) -> dict[str, str]:
    if who == "service":
        return stack.headers("service", "input-service")
    return {"candidate": stack.candidate, "recruiter": stack.recruiter, "admin": stack.admin, None: dict}[who]()


def _names(answer: httpx.Response, expected) -> bool:
    detail = answer.json()["detail"]
    if isinstance(expected, list):
        return isinstance(detail, list) and expected in [d["loc"] for d in detail]
    return expected in json.dumps(detail, ensure_ascii=False)


def test_bad_input_is_a_4xx_that_names_the_field(input_stack):
    failures = []
    with httpx.Client(timeout=30) as client:
        for service, who, method, path, request, status, names in CASES:
            request = dict(request)
            headers = {**_headers(input_stack, who), **(JSON if "content" in request else {}),
                       **request.pop("headers", {})}
            answer = client.request(method, input_stack.urls[service] + path, headers=headers, **request)
            if answer.status_code != status or not _names(answer, names):
                failures.append(f"{service} {method} {path} {str(request)[:120]}: {answer.status_code} "
                                f"{answer.text[:300]}")
    assert not failures, "\n".join(failures)


def test_a_422_quotes_only_an_excerpt_of_the_input(input_stack):
    answer = httpx.patch(input_stack.urls["profile"] + "/profiles/me", json={"self_pr": ["x" * 60_000]},
                         headers=input_stack.candidate(), timeout=30)
    assert answer.status_code == 422 and len(answer.content) < 1000


@pytest.mark.parametrize("path, body, names", SIGNED)
def test_a_signed_webhook_body_that_does_not_fit_is_a_400_naming_the_field(input_stack, path, body, names):
    content = json.dumps(body).encode()
    if path == "/webhooks/line":
        headers = {"X-Line-Signature": sign_line(NOTIFY.line_channel_secret, content)}
    else:
        headers = {"X-Tsunagu-Signature": hmac.new(NOTIFY.email_webhook_secret.encode(), content,
                                                   hashlib.sha256).hexdigest()}
    answer = httpx.post(input_stack.urls["notify"] + path, content=content, headers={**headers, **JSON}, timeout=30)
    assert answer.status_code == 400, answer.text
    assert f"{names}:" in answer.json()["detail"]


def test_a_signed_twilio_form_without_its_fields_is_a_400(input_stack):
    url = input_stack.urls["notify"] + "/webhooks/twilio/inbound"
    form = {"Body": "STOP"}
    signature = sign_twilio(NOTIFY.twilio_auth_token, NOTIFY.public_base_url.rstrip("/") + "/webhooks/twilio/inbound",
                            form)
    answer = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert answer.status_code == 400 and "MessageSid:" in answer.json()["detail"]


def test_a_non_ascii_signature_header_is_refused_as_forged(input_stack):
    answer = httpx.post(input_stack.urls["notify"] + "/webhooks/email/bounce", content=b"{}",
                        headers={"X-Tsunagu-Signature": b"\xe9" * 64, **JSON}, timeout=30)
    assert answer.status_code == 403


def test_phone_numbers_are_kept_in_e164(input_stack):
    me = input_stack.candidate("input-phone")
    created = httpx.post(input_stack.urls["profile"] + "/profiles/me", headers=me, timeout=30,
                         json={"display_name": "花子", "phone": "090-1234-5678", "email": "Hanako@Example.JP"})
    assert created.status_code == 201, created.text
    assert (created.json()["phone"], created.json()["email"]) == ("+819012345678", "hanako@example.jp")
