"""STOP and START by SMS, and a LINE follow, as changes of her state (pure)."""

from datetime import UTC, datetime, timedelta

import pytest
from tsunagu_notify.domain.directory import is_start, is_stop
from tsunagu_notify.domain.model import ChannelStatus, RecipientState
from tsunagu_notify.domain.recipient import OwnedRecipient, RecipientChange, apply_change

T0 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["START", "start", "ｓｔａｒｔ", " UNSTOP ", "再開", "開始", "配信再開。"])
def test_start_words(text):
    assert is_start(text) and not is_stop(text)


@pytest.mark.parametrize("text", ["STOP", "停止", "こんにちは", "START please", "再開したい？"])
def test_not_start_words(text):
    assert not is_start(text)


def _her(**sms) -> OwnedRecipient:
    status = ChannelStatus(address="+819012345678", consented_at=T0, consent_source="student", **sms)
    return OwnedRecipient(state=RecipientState(recipient_id="r1", known=True, channels={"sms": status}))


def _change(kind: str, at: datetime, **fields) -> RecipientChange:
    return RecipientChange(change_id=f"{kind}:{at.isoformat()}", recipient_id="r1", kind=kind, at=at, **fields)


def test_stop_then_start_lifts_the_opt_out_with_her_fresh_consent_and_says_so():
    stopped = apply_change(_her(), _change("opted_out", T0 + timedelta(hours=1), channel="sms", source="sms_stop"),
                           T0)
    assert not stopped.owned.state.channel("sms").usable
    assert [type(e).__name__ for e in stopped.events] == ["ContactOptedOut"]
    start_at = T0 + timedelta(hours=2)
    started = apply_change(stopped.owned, _change("opted_in", start_at, channel="sms", source="sms_start"), T0)
    sms = started.owned.state.channel("sms")
    assert sms.usable and sms.consented_at == start_at and sms.consent_source == "sms_start"
    assert [(type(e).__name__, e.source) for e in started.events] == [("ContactOptedIn", "sms_start")]
    again = apply_change(started.owned, _change("opted_in", start_at + timedelta(minutes=1), channel="sms",
                                                source="sms_start"), T0)
    assert again.events == [] and again.owned.state == started.owned.state  # nothing to lift: nothing said


def test_start_without_a_phone_number_changes_nothing():
    nobody = OwnedRecipient(state=RecipientState(recipient_id="r1", known=True))
    outcome = apply_change(nobody, _change("opted_in", T0, channel="sms", source="sms_start"), T0)
    assert outcome.events == [] and not outcome.owned.state.channel("sms").usable


def test_a_line_follow_is_reported_as_her_consent_to_line():
    outcome = apply_change(_her(), _change("line_followed", T0, line_user_id="U1"), T0)
    assert [(type(e).__name__, e.channel, e.source) for e in outcome.events] == [
        ("ContactOptedIn", "line", "line_follow")]
