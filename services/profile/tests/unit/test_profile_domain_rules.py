"""Pure rules of the profile: field validation, updates, contact consent, photos, personality, visibility."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from tsunagu_profile.domain.changes import apply_update, public_changes
from tsunagu_profile.domain.contact import (
    ChannelConsent,
    ContactPreferences,
    ContactPreferencesUpdate,
    change_contact_preferences,
    record_channel_signal,
)
from tsunagu_profile.domain.errors import InvalidField
from tsunagu_profile.domain.model import Profile, ProfileCreate, ProfileUpdate, SelectionProgress
from tsunagu_profile.domain.personality import questionnaire, score
from tsunagu_profile.domain.photo import PhotoTooLarge, UnsupportedPhotoType, check_photo, sniff_image_type
from tsunagu_profile.domain.search import Cursor
from tsunagu_profile.domain.visibility import (
    Access,
    RecruiterStanding,
    candidate_access,
    profile_access,
    recruiter_access,
)

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

BAD_FIELDS = [
    ("display_name", ""), ("display_name", "x" * 101), ("email", "nobody"), ("email", "a@b"),
    ("phone", "090-1234"), ("phone", "+81-90"), ("phone", "+81 00 0000 0000"), ("school", ""), ("faculty", "x" * 201),
    ("graduation_year", 1989), ("graduation_year", 2101), ("self_pr", "x" * 2001),
    ("industries", ["it", "it"]), ("industries", ["x"] * 21), ("industries", [""]), ("job_types", ["x" * 51]),
    ("location", ""), ("languages", [{"language": "Japanese", "level": "native"}]),
    ("languages", [{"language": "ja", "level": "godlike"}]), ("unknown_field", 1),
]


@pytest.mark.parametrize("field,value", BAD_FIELDS, ids=[f"{f}={str(v)[:12]}" for f, v in BAD_FIELDS])
def test_every_field_refuses_bad_values_naming_itself(field, value):
    body = {"display_name": "Hanako", field: value}
    for model in (ProfileCreate, ProfileUpdate):
        with pytest.raises(ValidationError) as error:
            model.model_validate(body)
        assert field in {str(e["loc"][0]) for e in error.value.errors()}


def test_good_values_are_normalised():
    created = ProfileCreate(display_name="  Hanako ", email="Hanako@Example.JP", phone="090-1234-5678",
                            languages=[{"language": "ja", "level": "native"}])
    assert created.display_name == "Hanako" and created.email == "hanako@example.jp"
    assert created.phone == "+819012345678"


@pytest.mark.parametrize("field", ["languages", "industries", "job_types"])
def test_a_list_is_emptied_with_brackets_never_null(field):
    with pytest.raises(ValidationError) as error:
        ProfileUpdate.model_validate({field: None})
    assert [e["loc"] for e in error.value.errors()] == [(field,)]
    assert getattr(ProfileUpdate.model_validate({field: []}), field) == []


BAD_PROGRESS = [("company_name", ""), ("stage", "lunch"), ("date", "yesterday"), ("outcome", "maybe")]


@pytest.mark.parametrize("field,value", BAD_PROGRESS)
def test_selection_progress_fields_are_checked(field, value):
    entry = {"company_name": "Acme", "stage": "offer", "date": "2025-01-01", field: value}
    with pytest.raises(ValidationError) as error:
        SelectionProgress.model_validate(entry)
    assert error.value.errors()[0]["loc"][0] == field


BAD_CONTACT = [("time_zone", "Mars/Olympus"), ("quiet_hours_start", "25:00"), ("quiet_hours_end", "8am"),
               ("locale", "fr"), ("preferred_channel", "fax"), ("channels", {"fax": {"consented": True}})]


@pytest.mark.parametrize("field,value", BAD_CONTACT)
def test_contact_preference_fields_are_checked(field, value):
    with pytest.raises(ValidationError) as error:
        ContactPreferencesUpdate.model_validate({field: value})
    assert error.value.errors()[0]["loc"][0] == field


def _profile(**fields) -> Profile:
    return Profile(candidate_id="c1", display_name="Hanako", created_at=NOW, updated_at=NOW, last_active_at=NOW,
                   **fields)


def test_partial_update_reports_only_changed_fields_and_touches_activity():
    later = datetime(2025, 5, 2, tzinfo=UTC)
    profile = _profile(school="Kyoto", email="h@example.jp")
    updated, changed = apply_update(profile, ProfileUpdate(school="Kyoto", location="Osaka", email="n@example.jp"),
                                    now=later)
    assert changed == ["email", "location"]
    assert updated.last_active_at == later and updated.school == "Kyoto"
    assert public_changes(updated, changed) == {"location": "Osaka"}
    assert apply_update(profile, ProfileUpdate(school="Kyoto"), now=later) == (profile, [])


def test_removing_a_contact_point_withdraws_its_consent():
    contact = change_contact_preferences(
        ContactPreferences(), ContactPreferencesUpdate(channels={"email": {"consented": True}},
                                                        preferred_channel="email"),
        email="h@example.jp", phone=None, now=NOW, source="student")
    profile = _profile(email="h@example.jp", contact=contact)
    updated, _ = apply_update(profile, ProfileUpdate.model_validate({"email": None}), now=NOW)
    assert not updated.contact.channels["email"].consented and updated.contact.preferred_channel is None


def test_consent_needs_a_contact_point_and_preferred_needs_consent():
    with pytest.raises(InvalidField) as error:
        change_contact_preferences(ContactPreferences(),
                                   ContactPreferencesUpdate(channels={"sms": {"consented": True}}),
                                   email=None, phone=None, now=NOW, source="student")
    assert error.value.loc == ("body", "channels", "sms")
    with pytest.raises(InvalidField) as error:
        change_contact_preferences(ContactPreferences(), ContactPreferencesUpdate(preferred_channel="line"),
                                   email=None, phone=None, now=NOW, source="student")
    assert error.value.loc == ("body", "preferred_channel")


def test_consent_records_time_and_source_and_stop_all_withdraws_everything():
    given = change_contact_preferences(
        ContactPreferences(), ContactPreferencesUpdate(channels={"line": {"consented": True, "source": "line:follow"}},
                                                        preferred_channel="line"),
        email=None, phone=None, now=NOW, source="student")
    assert given.channels["line"].consented_at == NOW and given.channels["line"].source == "line:follow"
    stopped = change_contact_preferences(given, ContactPreferencesUpdate(stop_all=True), email=None, phone=None,
                                         now=NOW, source="student")
    assert stopped.stop_all and stopped.preferred_channel is None and not stopped.channels["line"].consented
    again = change_contact_preferences(stopped, ContactPreferencesUpdate(channels={"line": {"consented": True}}),
                                       email=None, phone=None, now=NOW, source="student")
    assert not again.stop_all and again.channels["line"].consented


@pytest.mark.parametrize("data,expected", [
    (b"\xff\xd8\xff\xe0" + b"\0" * 10, "image/jpeg"), (b"\x89PNG\r\n\x1a\n\0", "image/png"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"), (b"GIF89a\0\0", None), (b"<svg></svg>", None),
])
def test_photo_type_comes_from_the_bytes(data, expected):
    assert sniff_image_type(data) == expected


def test_photo_size_and_type_are_enforced():
    with pytest.raises(PhotoTooLarge):
        check_photo(b"\xff\xd8\xff" + b"\0" * 100, max_bytes=50)
    with pytest.raises(UnsupportedPhotoType):
        check_photo(b"%PDF-1.7", max_bytes=50)
    with pytest.raises(UnsupportedPhotoType):
        check_photo(b"", max_bytes=50)


def test_questionnaire_ships_in_both_languages():
    test = questionnaire()
    for locale in ("ja", "en"):
        shown = test.localized(locale)
        assert len(shown["questions"]) == len(test.questions) and all(q["text"] for q in shown["questions"])
        assert "trait" not in shown["questions"][0]


def test_scoring_reverses_items_and_picks_the_top_trait():
    answers = {q["id"]: 3 for q in questionnaire().questions}
    answers.update({"q13": 5, "q14": 5, "q15": 1})
    result_type, traits = score(answers)
    assert result_type == "explorer" and traits["curiosity"] == 100 and traits["drive"] == 50
    lowest = {q["id"]: (5 if q["reverse"] else 1) for q in questionnaire().questions}
    assert set(score(lowest)[1].values()) == {0}


@pytest.mark.parametrize("answers,loc", [({"q01": 3}, "q02"), ({"qx": 3}, "qx"), ({"q01": 6}, "q01")])
def test_incomplete_or_out_of_scale_answers_are_refused(answers, loc):
    full = {q["id"]: 3 for q in questionnaire().questions} if loc != "q02" else {}
    with pytest.raises(InvalidField) as error:
        score({**full, **answers})
    assert error.value.loc == ("body", "answers", loc)


def test_visibility_rules():
    active = RecruiterStanding(company_active=True, recruiter_known=True, recruiter_active=True,
                               recruiter_company_id="co")
    assert recruiter_access("co", active) is Access.ALLOWED
    unregistered = RecruiterStanding(company_active=True)
    assert recruiter_access("co", unregistered) is Access.RECRUITER_NOT_REGISTERED
    assert profile_access("co", ["other", "co"]) is Access.BLOCKED and profile_access("co", ["other"]) is Access.ALLOWED
    assert recruiter_access("co", RecruiterStanding(company_active=False)) is Access.COMPANY_NOT_ACTIVE
    removed = RecruiterStanding(company_active=True, recruiter_known=True, recruiter_active=False,
                                recruiter_company_id="co")
    assert recruiter_access("co", removed) is Access.RECRUITER_NOT_ACTIVE
    moved = RecruiterStanding(company_active=True, recruiter_known=True, recruiter_active=True,
                              recruiter_company_id="other")
    assert recruiter_access("co", moved) is Access.RECRUITER_NOT_ACTIVE
    assert candidate_access("a", "a") is Access.ALLOWED and candidate_access("a", "b") is Access.NOT_OWNER


def test_cursor_round_trips_and_refuses_forgeries():
    cursor = Cursor(sort="newest", value=NOW, candidate_id="c9")
    assert Cursor.decode(cursor.encode(), sort="newest") == cursor
    for token, sort in (("garbage!", "newest"), (cursor.encode(), "last_active")):
        with pytest.raises(InvalidField):
            Cursor.decode(token, sort=sort)


def test_consent_signals_from_the_channels_change_the_one_record():
    consented = ContactPreferences(channels={"sms": ChannelConsent(consented=True, consented_at=NOW, source="student")},
                                   preferred_channel="sms")
    stop_at = NOW + timedelta(hours=1)
    stopped = record_channel_signal(consented, "sms", consented=False, at=stop_at, source="sms_stop")
    assert stopped.channels["sms"] == ChannelConsent(consented=False, consented_at=stop_at, source="sms_stop")
    assert stopped.preferred_channel is None
    assert record_channel_signal(stopped, "sms", consented=False, at=stop_at, source="sms_stop") == stopped
    started = record_channel_signal(stopped, "sms", consented=True, at=stop_at + timedelta(hours=1),
                                    source="sms_start")
    assert started.channels["sms"].consented and started.channels["sms"].source == "sms_start"
    # A signal older than her last change of the record (she consented again since) changes nothing.
    assert record_channel_signal(started, "sms", consented=False, at=stop_at, source="sms_stop") == started


def test_only_she_consents_again_to_a_channel_she_left():
    left = ContactPreferences(channels={"sms": ChannelConsent(consented=False, consented_at=NOW, source="sms_stop")})
    again = ContactPreferencesUpdate(channels={"sms": {"consented": True}})
    with pytest.raises(InvalidField) as refused:
        change_contact_preferences(left, again, email=None, phone="+819012345678", now=NOW, source="admin:x",
                                   by_her=False)
    assert refused.value.loc == ("body", "channels", "sms")
    hers = change_contact_preferences(left, again, email=None, phone="+819012345678", now=NOW, source="student")
    assert hers.channels["sms"].consented and hers.channels["sms"].source == "student"
