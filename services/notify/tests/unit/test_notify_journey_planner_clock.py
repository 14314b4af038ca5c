"""Step times: offsets count from when the trigger happened; notify's clock only decides what is already due.

A late event or a clock moved ahead must neither shift her days nor silently drop a step."""

from datetime import timedelta

from tsunagu_notify.domain.journeys.definitions import parse, sequences
from tsunagu_notify.domain.journeys.planner import CATCH_UP_WITHIN, plan, stop_order
from tsunagu_notify.domain.journeys.signals import JourneySignal, line_signal, signal_for
from tsunagu_notify.testing import jst
from tsunagu_shared.events import (
    InterviewScheduled,
    InterviewSlotsProposed,
    InterviewTimesRequested,
    MessageSent,
    ProposedSlot,
)

BY_NAME = {s.name: s for s in sequences()}
WELCOME = BY_NAME["line_welcome"]
FOLLOWED = jst(2, 12)


def welcome(now):
    return {s.step: s for s in plan(WELCOME, line_signal("LineFollowed", "cand-1", FOLLOWED, "e"), now)}


def test_a_late_event_keeps_her_days_counted_from_when_she_followed():
    steps = welcome(FOLLOWED + timedelta(hours=12))  # the follow reached notify half a day late
    assert {n: s.due_at - FOLLOWED for n, s in steps.items()} == {
        f"day{d}": timedelta(days=d) for d in (1, 3, 7, 14, 30)}
    assert {s.status for s in steps.values()} == {"pending"}


def test_a_clock_ahead_of_the_event_catches_the_due_step_up_instead_of_skipping_it():
    now = FOLLOWED + timedelta(days=1, hours=12)  # day 1 is already behind notify's clock
    steps = welcome(now)
    assert (steps["day1"].status, steps["day1"].due_at, steps["day1"].scheduled_for) == (
        "pending", now, FOLLOWED + timedelta(days=1))
    assert steps["day3"].due_at == FOLLOWED + timedelta(days=3)


def test_only_the_latest_overdue_step_is_sent_late_the_rest_are_recorded_as_missed():
    now = FOLLOWED + timedelta(days=4)
    steps = welcome(now)
    assert [(n, s.status, s.due_at) for n, s in steps.items()][:3] == [
        ("day1", "missed", FOLLOWED + timedelta(days=1)), ("day3", "pending", now),
        ("day7", "pending", FOLLOWED + timedelta(days=7))]
    long_after = welcome(FOLLOWED + timedelta(days=30) + CATCH_UP_WITHIN + timedelta(minutes=1))
    assert [s.status for s in long_after.values()] == ["missed"] * 5


def test_a_reminder_is_caught_up_only_before_the_deadline():
    imported, deadline = jst(2, 12), jst(12, 12)
    signal = JourneySignal(kind="CampaignApplicantImported", recipient_id="c", at=imported, source_id="e",
                           instance="cp", company_id="co", deadline=deadline)
    late = deadline - timedelta(days=2)  # the import reached notify after "3 days before"
    steps = plan(BY_NAME["campaign_reminder"], signal, late)
    assert [(s.step, s.status, s.due_at) for s in steps] == [
        ("three_days_before", "pending", late), ("one_day_before", "pending", deadline - timedelta(days=1))]
    after = plan(BY_NAME["campaign_reminder"], signal, deadline + timedelta(minutes=1))
    assert [s.status for s in after] == ["missed", "missed"]


def _proposal(proposal_id: str, proposed_at, respond_by) -> InterviewSlotsProposed:
    return InterviewSlotsProposed(
        interview_id="iv-1", proposal_id=proposal_id, thread_id="t-1", company_id="co", candidate_id="cand-1",
        slots=[ProposedSlot(slot_id="s1", starts_at=respond_by + timedelta(days=2))], respond_by=respond_by,
        proposed_at=proposed_at, respond_url="https://t.example/threads/t-1", company_name="Acme")


def test_interview_reminders_two_days_and_half_a_day_before_her_deadline_one_round_per_proposal():
    proposed, respond_by = jst(2, 12), jst(5, 18)
    first = signal_for(_proposal("p1", proposed, respond_by), source_id="e1")
    steps = plan(BY_NAME["interview_reminder"], first, proposed)
    assert [(s.step, s.due_at) for s in steps] == [
        ("two_days_before", jst(3, 18)), ("half_day_before", jst(5, 6))]
    assert steps[0].variables["share_url"] == "https://t.example/threads/t-1" and steps[0].category == "transactional"
    second = signal_for(_proposal("p2", jst(3, 9), jst(8, 18)), source_id="e2")
    again = plan(BY_NAME["interview_reminder"], second, jst(3, 9))
    assert not {s.step_id for s in steps} & {s.step_id for s in again}
    # The new proposal stops the earlier request's steps, not its own (a redelivery re-plans nothing new).
    order = stop_order(sequences(), second)
    assert (order.sequences, order.instance, order.keep_round) == (("interview_reminder",), "iv-1", "p2")


def test_her_pick_her_request_for_other_times_or_her_message_stops_interview_reminders_not_a_recruiter_message():
    picked = signal_for(InterviewScheduled(interview_id="iv-1", thread_id="t-1", company_id="co", candidate_id="c",
                                           starts_at=jst(7, 3), candidate_time_zone="Asia/Tokyo",
                                           scheduled_at=jst(3, 12)), source_id="e")
    assert stop_order(sequences(), picked).instance == "iv-1"
    other_times = signal_for(InterviewTimesRequested(interview_id="iv-1", thread_id="t-1", company_id="co",
                                                     candidate_id="c", requested_at=jst(3, 12)), source_id="e")
    assert (stop_order(sequences(), other_times).sequences, stop_order(sequences(), other_times).instance) == (
        ("interview_reminder",), "iv-1")
    message = dict(thread_id="t-1", message_id="m", company_id="co", candidate_id="c", sent_at=jst(3, 12))
    hers = stop_order(sequences(), signal_for(MessageSent(**message, sender_role="candidate", sender_id="c"),
                                              source_id="e"))
    assert (hers.sequences, hers.company_id, hers.instance) == (("interview_reminder",), "co", None)
    assert signal_for(MessageSent(**message, sender_role="recruiter", sender_id="r"), source_id="e") is None


def test_a_step_on_the_trigger_itself_goes_out_at_once():
    definition = parse('[[sequence]]\nname = "x"\ntriggers = ["LineFollowed"]\ngoals = ["LineUnfollowed"]\n'
                       'category = "transactional"\n'
                       'steps = [{ name = "hello", days = 0, template = "welcome_day1" }]')[0]
    now = FOLLOWED + timedelta(seconds=2)
    [step] = plan(definition, line_signal("LineFollowed", "cand-1", FOLLOWED, "e"), now)
    assert (step.status, step.due_at, step.scheduled_for) == ("pending", now, FOLLOWED)
