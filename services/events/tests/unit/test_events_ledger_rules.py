"""The pure rules of events: publishing, the seat ledger, reminders, interest. No servers."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from tsunagu_events.domain import ledger, notices
from tsunagu_events.domain.model import (
    Actor,
    DomainError,
    EventCreate,
    NotAllowed,
    Registration,
    RegistrationClosed,
    ensure_may_mark_interest,
    new_event,
    next_in_line,
    waitlist_position,
)

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ADMIN = Actor(role="admin", subject="admin-1")


def an_event(capacity: int = 2, starts_in: timedelta = timedelta(days=3), **extra):
    data = EventCreate(title="Matching night", starts_at=NOW + starts_in, time_zone="Asia/Tokyo", venue="Hall",
                       capacity=capacity, company_ids=["comp-a"], **extra)
    return new_event(event_id="ev-1", data=data, actor=ADMIN, now=NOW)


def placed(event, *candidates, at=NOW):
    for i, candidate in enumerate(candidates):
        event, _ = ledger.place(event, registration_id=f"r-{candidate}", candidate_id=candidate,
                                now=at + timedelta(seconds=i))
    return event


def test_an_offset_time_is_stored_in_utc_and_keeps_its_zone():
    data = EventCreate(title="t", starts_at="2026-07-01T19:00:00+09:00", time_zone="Asia/Tokyo", venue="v",
                       capacity=1)
    event = new_event(event_id="e", data=data, actor=ADMIN, now=NOW)
    assert event.starts_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert event.registration_closes_at == event.starts_at


@pytest.mark.parametrize("change, field", [
    ({"time_zone": "Tokyo/Nowhere"}, "time_zone"),
    ({"starts_at": "2026-07-01T19:00:00"}, "starts_at"),
    ({"venue": None}, "venue or an online_url"),
    ({"registration_closes_at": "2026-07-02T00:00:00+09:00"}, "registration_closes_at"),
    ({"capacity": 0}, "capacity"),
])
def test_incoherent_events_are_refused(change, field):
    body = {"title": "t", "starts_at": "2026-07-01T19:00:00+09:00", "time_zone": "Asia/Tokyo", "venue": "v",
            "capacity": 1, **change}
    with pytest.raises(ValidationError) as refused:
        EventCreate(**body)
    assert field in str(refused.value)


def test_a_recruiter_publishes_only_his_own_info_sessions():
    recruiter = Actor(role="recruiter", subject="rec-1", company_id="comp-a")
    session = EventCreate(kind="info_session", title="t", starts_at=NOW + timedelta(days=1),
                          time_zone="Asia/Tokyo", venue="v", capacity=5, company_ids=["comp-b"])
    event = new_event(event_id="e", data=session, actor=recruiter, now=NOW)
    assert (event.organizer_company_id, event.company_ids) == ("comp-a", ["comp-a"])
    with pytest.raises(NotAllowed):
        new_event(event_id="e", data=session.model_copy(update={"kind": "matching_event"}), actor=recruiter, now=NOW)


def test_seats_fill_then_the_waitlist_in_order():
    event = placed(an_event(capacity=2), "a", "b", "c", "d")
    assert set(event.seats) == {"r-a", "r-b"} and event.seats_taken == 2
    assert next_in_line(event) == "r-c" and waitlist_position(event, "r-d") == 2
    assert event.version == 4


def test_a_freed_seat_goes_to_the_first_waiting_in_the_same_change():
    event = placed(an_event(capacity=1), "a", "b", "c")
    after, facts = ledger.give_up(event, registration_id="r-a", reason="cancelled_by_candidate", now=NOW)
    assert set(after.seats) == {"r-b"} and set(after.waitlist) == {"r-c"}
    promoted = [f for f in facts if f.event_type == "EventRegistered"]
    assert [(p.candidate_id, p.status) for p in promoted] == [("b", "promoted")]
    assert {f.event_type for f in facts} >= {"EventRegistrationCancelled", "NotificationCancelled"}


def test_leaving_the_waitlist_promotes_nobody_and_giving_up_twice_does_nothing():
    event = placed(an_event(capacity=1), "a", "b", "c")
    after, facts = ledger.give_up(event, registration_id="r-b", reason="cancelled_by_candidate", now=NOW)
    assert set(after.seats) == {"r-a"} and set(after.waitlist) == {"r-c"}
    assert [f.event_type for f in facts] == ["EventRegistrationCancelled"]
    assert ledger.give_up(after, registration_id="r-b", reason="cancelled_by_candidate", now=NOW) is None


def test_after_the_start_a_freed_seat_is_not_handed_on():
    event = placed(an_event(capacity=1, starts_in=timedelta(hours=1)), "a", "b")
    after, _ = ledger.give_up(event, registration_id="r-a", reason="profile_deleted",
                              now=NOW + timedelta(hours=2))
    assert after.seats == {} and set(after.waitlist) == {"r-b"}


def test_registration_closes_at_the_deadline_and_on_cancellation():
    event = an_event(registration_closes_at=NOW + timedelta(hours=1))
    ledger.place(event, registration_id="r", candidate_id="c", now=NOW + timedelta(minutes=59))
    with pytest.raises(RegistrationClosed):
        ledger.place(event, registration_id="r", candidate_id="c", now=NOW + timedelta(hours=1))
    cancelled, _ = ledger.cancel(event, reason=None, now=NOW)
    with pytest.raises(RegistrationClosed):
        ledger.place(cancelled, registration_id="r", candidate_id="c", now=NOW)
    with pytest.raises(DomainError):
        ledger.cancel(cancelled, reason=None, now=NOW)


def test_reminders_are_the_day_before_and_the_hour_before_unless_already_past():
    starts = NOW + timedelta(days=2)
    assert notices.reminder_schedule(starts, NOW) == [("1d", starts - timedelta(days=1)),
                                                      ("1h", starts - timedelta(hours=1))]
    assert notices.reminder_schedule(starts, starts - timedelta(hours=5)) == [("1h", starts - timedelta(hours=1))]
    assert notices.reminder_schedule(starts, starts - timedelta(minutes=30)) == []


def test_reminder_ids_are_deterministic_and_only_pending_ones_are_called_off():
    event = placed(an_event(capacity=1, starts_in=timedelta(days=2)), "a")
    issued = event.seats["r-a"].reminder_ids
    assert issued == ["event-reminder:ev-1:r-a:1d", "event-reminder:ev-1:r-a:1h"]
    later = event.starts_at - timedelta(hours=3)
    assert notices.pending_reminder_ids(event, "r-a", issued, later) == ["event-reminder:ev-1:r-a:1h"]


def test_cancelling_tells_everyone_holding_a_place():
    event = placed(an_event(capacity=1), "a", "b")
    after, facts = ledger.cancel(event, reason="typhoon", now=NOW)
    assert after.status == "cancelled"
    told = [f.recipient_id for f in facts if f.event_type == "NotificationRequested"]
    assert sorted(told) == ["a", "b"]
    assert [f.recipient_id for f in facts if f.event_type == "NotificationCancelled"] == ["a"]


def test_interest_needs_a_checked_in_student_and_a_participating_company():
    event = placed(an_event(capacity=1), "a")
    registration = Registration(registration_id="r-a", event_id="ev-1", candidate_id="a", check_in_code="x",
                                created_at=NOW)
    with pytest.raises(DomainError):
        ensure_may_mark_interest(event, registration, "comp-a")
    came = registration.model_copy(update={"attended_at": NOW})
    ensure_may_mark_interest(event, came, "comp-a")
    with pytest.raises(NotAllowed):
        ensure_may_mark_interest(event, came, "comp-x")
