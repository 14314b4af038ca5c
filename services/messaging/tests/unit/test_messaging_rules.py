"""Pure domain rules of messaging: who may write, content, interviews, offers (no servers)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from tsunagu_messaging.domain import interviews, messages, offers, threads
from tsunagu_messaging.domain.interviews import Interview, InterviewRefused, Slot, SlotProposal
from tsunagu_messaging.domain.messages import MessageRejected
from tsunagu_messaging.domain.offers import Offer, OfferRefused
from tsunagu_messaging.domain.threads import SendingRefused, Thread, ThreadNotVisible
from tsunagu_shared.auth import Principal

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def a_thread(**changes) -> Thread:
    base = Thread(thread_id="t1", company_id="A", candidate_id="hanako", opened_by="scout", opened_at=NOW)
    return base.model_copy(update=changes)


def candidate(subject="hanako", company_id=None) -> Principal:
    return Principal(subject=subject, role="candidate", company_id=company_id)


def recruiter(company_id="A") -> Principal:
    return Principal(subject="r1", role="recruiter", company_id=company_id)


class TestAccess:
    def test_the_parties_get_their_side(self):
        assert threads.side_of(a_thread(), candidate()) == "candidate"
        assert threads.side_of(a_thread(), recruiter("A")) == "recruiter"

    @pytest.mark.parametrize("principal", [
        candidate("other-student"),
        recruiter("B"),
        # a candidate token carrying a forged company_id is still a candidate, and not this one
        candidate("someone", company_id="A"),
        Principal(subject="svc", role="service"),
        Principal(subject="root", role="admin"),
    ])
    def test_strangers_do_not_see_the_thread(self, principal):
        with pytest.raises(ThreadNotVisible):
            threads.side_of(a_thread(), principal)


class TestWriting:
    def test_both_sides_write_in_an_open_thread(self):
        threads.check_may_write(a_thread(), "candidate", company_active=True)
        threads.check_may_write(a_thread(), "recruiter", company_active=True)

    @pytest.mark.parametrize("changes,active,why", [
        ({"blocked_by_candidate": True}, True, "blocked"),
        ({"scout_declined": True}, True, "declined"),
        ({}, False, "not active"),
        ({"status": "closed", "closed_reason": "profile_deleted"}, True, "closed"),
    ])
    def test_the_company_is_refused(self, changes, active, why):
        with pytest.raises(SendingRefused, match=why):
            threads.check_may_write(a_thread(**changes), "recruiter", company_active=active)

    def test_she_may_still_write_after_declining_or_when_the_company_left(self):
        threads.check_may_write(a_thread(scout_declined=True), "candidate", company_active=False)

    def test_she_cannot_write_into_a_closed_or_blocked_thread(self):
        for changes in ({"status": "closed"}, {"blocked_by_candidate": True}):
            with pytest.raises(SendingRefused):
                threads.check_may_write(a_thread(**changes), "candidate", company_active=True)

    def test_the_start_refusal_names_the_company_and_the_rule(self):
        text = str(threads.refuse_student_start("acme"))
        assert "acme" in text and "cannot start a conversation" in text


class TestContent:
    def test_html_is_escaped_not_rendered(self):
        body = messages.clean_body('<script>alert("x")</script> hi', max_chars=100)
        assert "<" not in body and "&lt;script&gt;" in body and "&quot;x&quot;" in body

    def test_empty_and_too_long_are_rejected_naming_the_field(self):
        with pytest.raises(MessageRejected, match="body"):
            messages.clean_body(" \n\x00 ", max_chars=10)
        with pytest.raises(MessageRejected, match="at most 10"):
            messages.clean_body("x" * 11, max_chars=10)

    @pytest.mark.parametrize("content_type,data", [
        ("application/pdf", b"%PDF-1.7 rest"),
        ("image/png", b"\x89PNG\r\n\x1a\n...."),
        ("image/jpeg", b"\xff\xd8\xff\xe0...."),
    ])
    def test_allowed_attachments(self, content_type, data):
        messages.check_attachment(content_type=content_type, data=data, max_bytes=100)

    @pytest.mark.parametrize("content_type,data,why", [
        ("text/html", b"<html>", "not allowed"),
        ("application/pdf", b"MZ\x90\x00 an exe", "not a application/pdf"),
        ("image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 200, "at most 100 bytes"),
        ("image/jpeg", b"", "empty"),
    ])
    def test_refused_attachments(self, content_type, data, why):
        with pytest.raises(MessageRejected, match=why):
            messages.check_attachment(content_type=content_type, data=data, max_bytes=100)

    def test_filenames_lose_paths_and_markup(self):
        assert messages.safe_filename("../../etc/cv.pdf") == "cv.pdf"
        assert "<" not in messages.safe_filename("<img src=x>.png")

    def test_rate_windows_are_fixed(self):
        start = messages.rate_window_start(NOW + timedelta(seconds=59), window_seconds=60)
        assert start == int(NOW.timestamp())
        assert messages.rate_window_start(NOW + timedelta(seconds=60), window_seconds=60) == start + 60


class TestInterviewTimes:
    def test_a_slot_keeps_its_instant_in_utc(self):
        slot = SlotProposal(starts_at="2026-12-01T10:00:00+09:00")
        assert slot.starts_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        assert slot.starts_at.utcoffset() == timedelta(0)

    def test_a_naive_time_is_refused(self):
        with pytest.raises(ValidationError, match="time zone offset"):
            SlotProposal(starts_at="2026-12-01T10:00:00")

    def test_local_time_follows_the_zone_and_its_daylight_saving(self):
        instant = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
        assert interviews.local_time(instant, "Asia/Tokyo") == "2026-07-01T23:00:00+09:00"
        assert interviews.local_time(instant, "America/New_York") == "2026-07-01T10:00:00-04:00"
        winter = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
        assert interviews.local_time(winter, "America/New_York") == "2026-12-01T09:00:00-05:00"

    def test_unknown_zone_is_named(self):
        with pytest.raises(ValueError, match="Mars/Olympus"):
            interviews.zone("Mars/Olympus")

    def test_slots_must_be_future_and_distinct(self):
        future = SlotProposal(starts_at=NOW + timedelta(days=1))
        with pytest.raises(InterviewRefused, match="future"):
            interviews.check_slots([SlotProposal(starts_at=NOW - timedelta(hours=1))], now=NOW)
        with pytest.raises(InterviewRefused, match="twice"):
            interviews.check_slots([future, future], now=NOW)
        with pytest.raises(InterviewRefused, match="at least one"):
            interviews.check_slots([], now=NOW)

    def test_choose_only_a_proposed_future_slot(self):
        interview = Interview(interview_id="i", thread_id="t1", company_id="A", candidate_id="hanako",
                              status="proposed", updated_at=NOW,
                              slots=[Slot(slot_id="s1", starts_at=NOW + timedelta(days=1), duration_minutes=60),
                                     Slot(slot_id="old", starts_at=NOW - timedelta(days=1), duration_minutes=60)])
        assert interviews.choose(interview, "s1", now=NOW).slot_id == "s1"
        with pytest.raises(InterviewRefused, match="passed"):
            interviews.choose(interview, "old", now=NOW)
        with pytest.raises(InterviewRefused, match="slot_id"):
            interviews.choose(interview, "nope", now=NOW)
        with pytest.raises(InterviewRefused, match="cancelled"):
            interviews.choose(interview.model_copy(update={"status": "cancelled"}), "s1", now=NOW)


class TestOfferStates:
    def offer(self, **changes) -> Offer:
        base = Offer(offer_id="o", thread_id="t1", company_id="A", candidate_id="hanako", terms="Engineer",
                     respond_by=NOW + timedelta(days=7), status="open", issued_at=NOW, issued_by="r1")
        return base.model_copy(update=changes)

    def test_open_before_the_deadline_can_be_answered(self):
        offers.check_may_respond(self.offer(), now=NOW)

    def test_no_answer_after_a_decline_or_an_acceptance(self):
        for status in ("declined", "accepted"):
            with pytest.raises(OfferRefused, match=f"already {status}"):
                offers.check_may_respond(self.offer(status=status), now=NOW)

    def test_a_lapsed_deadline_is_visible_and_final(self):
        later = NOW + timedelta(days=8)
        assert offers.effective_status(self.offer(), now=later) == "expired"
        with pytest.raises(OfferRefused, match="deadline"):
            offers.check_may_respond(self.offer(), now=later)

    def test_a_deadline_must_be_ahead(self):
        with pytest.raises(OfferRefused, match="respond_by"):
            offers.check_deadline(NOW - timedelta(minutes=1), now=NOW)


def test_the_deadline_to_pick_an_interview_time_defaults_to_three_days_and_never_outlives_the_slots():
    far = [SlotProposal(starts_at=NOW + timedelta(days=10))]
    assert interviews.response_deadline(far, None, now=NOW) == NOW + timedelta(days=3)
    soon = [SlotProposal(starts_at=NOW + timedelta(days=1)), SlotProposal(starts_at=NOW + timedelta(hours=30))]
    assert interviews.response_deadline(soon, None, now=NOW) == NOW + timedelta(hours=30)
    tokyo = timezone(timedelta(hours=9))
    given = (NOW + timedelta(days=5)).astimezone(tokyo)
    assert interviews.response_deadline(far, given, now=NOW) == NOW + timedelta(days=5)
    for bad in (NOW, NOW + timedelta(days=11), (NOW + timedelta(days=1)).replace(tzinfo=None)):
        with pytest.raises(InterviewRefused, match=r"^respond_by"):
            interviews.response_deadline(far, bad, now=NOW)
