"""The shared readers of outside values: strict JSON, short error excerpts, phone numbers and email
addresses, moments within the years Tsunagu computes with."""

from datetime import datetime

import pytest
from pydantic import BaseModel, ValidationError
from tsunagu_shared.contact_points import EmailAddress, PhoneNumber, e164, email_address, use_default_region
from tsunagu_shared.moments import AwareMoment, Moment
from tsunagu_shared.request_bodies import MAX_JSON_DEPTH, InvalidJson, check_json, excerpt


@pytest.mark.parametrize("raw, loc, says", [
    (b'{"a": NaN}', ["a"], "NaN"),
    (b'{"a": [1, Infinity]}', ["a", 1], "Infinity"),
    (b'{"a": -Infinity}', ["a"], "-Infinity"),
    (b'{"a": 1e999}', ["a"], "too large"),
    (b'{"name": "\\ud800"}', ["name"], "surrogate"),
    (b'{"\\udfff": 1}', [], "key"),
    (b'{"ok": "\\ud83d\\ude00", "bad": ["x", "\\udc00"]}', ["bad", 1], "surrogate"),
    (b"\xff", [], "UTF-8"),
    (b'{"a": ', [], "not JSON"),
    (b"[" * 5000 + b"]" * 5000, [], "nested"),
    (b"[" * (MAX_JSON_DEPTH + 2) + b"]" * (MAX_JSON_DEPTH + 2), [0] * MAX_JSON_DEPTH, "nested"),
])
def test_what_json_does_not_allow_is_refused_where_it_is(raw, loc, says):
    with pytest.raises(InvalidJson) as refused:
        check_json(raw)
    assert refused.value.loc == loc
    assert says in refused.value.message


def test_valid_json_passes_with_a_bom_and_a_surrogate_pair():
    assert check_json('\ufeff{"emoji": "\\ud83d\\ude00", "n": 1.5}'.encode()) == {"emoji": "😀", "n": 1.5}


def test_an_excerpt_keeps_short_values_and_cuts_long_ones():
    assert excerpt("short") == "short"
    assert excerpt({"a": 1}) == {"a": 1}
    long = excerpt("x" * 10_000_000)
    assert len(long) < 200 and long.endswith("(10000000 characters)")
    assert len(excerpt({"k": "v" * 1000})) < 200


@pytest.mark.parametrize("written, expected", [
    ("090-1234-5678", "+819012345678"),
    ("03 1234 5678", "+81312345678"),
    ("+81 90 1234 5678", "+819012345678"),
    ("+1 415 555 2671", "+14155552671"),
])
def test_phone_numbers_become_e164_read_in_the_default_region(written, expected):
    assert e164(written) == expected


@pytest.mark.parametrize("written", ["090", "12345678901234567890", "not a number", "+81 00 0000 0000", ""])
def test_impossible_phone_numbers_are_refused(written):
    with pytest.raises(ValueError):
        e164(written)


def test_the_default_region_comes_from_settings():
    try:
        use_default_region("us")
        assert e164("(415) 555-2671") == "+14155552671"
    finally:
        use_default_region("JP")


def test_email_addresses_are_checked_without_dns_and_kept_in_lower_case():
    assert email_address("Hanako@Example.JP") == "hanako@example.jp"
    for bad in ("hanako", "hanako@", "@example.jp", "a b@example.jp", "hanako@example..jp"):
        with pytest.raises(ValueError):
            email_address(bad)


class Contact(BaseModel):
    phone: PhoneNumber | None = None
    email: EmailAddress | None = None
    at: Moment | None = None
    deadline: AwareMoment | None = None


@pytest.mark.parametrize("field, value", [
    ("phone", "0120"), ("email", "x@"), ("at", "9999-12-31T23:00:00-14:00"), ("at", "0001-01-01T00:00:00+14:00"),
    ("deadline", "9999-12-31T23:00:00-14:00"), ("deadline", "0001-01-01T00:00:00+14:00"),
    ("deadline", "2026-12-01T10:00:00"), ("at", "1800-01-01T00:00:00"),
])
def test_request_fields_refuse_bad_values_naming_the_field(field, value):
    with pytest.raises(ValidationError) as refused:
        Contact.model_validate({field: value})
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


def test_request_fields_keep_good_values():
    contact = Contact.model_validate({"phone": "090-1234-5678", "email": "A@b.jp", "at": "2026-12-01T10:00:00",
                                      "deadline": "2026-12-01T10:00:00+09:00"})
    assert (contact.phone, contact.email, contact.at) == ("+819012345678", "a@b.jp", datetime(2026, 12, 1, 10))
    assert contact.deadline.utcoffset().total_seconds() == 9 * 3600
