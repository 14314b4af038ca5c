"""Journeys as pure rules: sequence definitions, step planning, goals, segments, member status, blocking."""

from datetime import timedelta

import pytest
from tsunagu_notify.domain.directory import blocked, left_unanswered
from tsunagu_notify.domain.journeys.definitions import SegmentFilter, parse, sequences
from tsunagu_notify.domain.journeys.planner import plan, stop_order
from tsunagu_notify.domain.journeys.segments import matches
from tsunagu_notify.domain.journeys.signals import JourneySignal, line_signal, signal_for
from tsunagu_notify.domain.member_status import Member, after
from tsunagu_notify.domain.model import Action, Reason
from tsunagu_notify.domain.policy import decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.testing import an_intent, jst, reachable
from tsunagu_shared.events import (
    InterviewScheduled,
    OfferAccepted,
    OfferDeclined,
    OfferIssued,
    OfferLapsed,
    ScoutSent,
)

BY_NAME = {s.name: s for s in sequences()}


def test_the_shipped_sequences_are_valid_data():
    assert set(BY_NAME) == {"line_welcome", "campaign_reminder", "offer_aftercare", "interview_reminder"}
    assert [s.days for s in BY_NAME["line_welcome"].steps] == [1, 3, 7, 14, 30]


def test_a_definition_with_an_unknown_template_or_repeated_step_is_refused():
    base = 'name = "x"\ntriggers = ["OfferIssued"]\ngoals = ["OfferAccepted"]\ncategory = "transactional"\n'
    with pytest.raises(ValueError, match="unknown templates"):
        parse("[[sequence]]\n" + base + 'steps = [{ name = "a", days = 1, template = "nope" }]')
    with pytest.raises(ValueError, match="repeat"):
        parse("[[sequence]]\n" + base + 'steps = [{ name = "a", days = 1, template = "offer_aftercare" },'
                                        '{ name = "a", days = 2, template = "offer_aftercare" }]')


def test_welcome_steps_fall_on_days_1_3_7_14_30_after_linking():
    start = jst(2, 22, 30)
    steps = plan(BY_NAME["line_welcome"], line_signal("LineAccountLinked", "cand-1", start, "e"), start)
    assert [s.due_at - start for s in steps] == [timedelta(days=d) for d in (1, 3, 7, 14, 30)]
    assert len({s.intent_id for s in steps}) == 5 and all(s.channel == "line" for s in steps)


def test_reminders_are_only_planned_before_the_deadline_and_in_the_future():
    now = jst(2, 12)
    signal = JourneySignal(kind="CampaignApplicantImported", recipient_id="c", at=now, source_id="e",
                           instance="cp", company_id="co", deadline=now + timedelta(days=2))
    assert [s.step for s in plan(BY_NAME["campaign_reminder"], signal, now)] == ["one_day_before"]
    assert plan(BY_NAME["campaign_reminder"], signal.model_copy(update={"deadline": None}), now) == []


def test_aftercare_stops_at_the_offer_deadline_and_replanning_gives_the_same_ids():
    now = jst(2, 12)
    signal = JourneySignal(kind="OfferIssued", recipient_id="c", at=now, source_id="e", instance="of-1",
                           company_id="co", deadline=now + timedelta(days=8))
    first = plan(BY_NAME["offer_aftercare"], signal, now)
    assert [s.step for s in first] == ["day2", "day5"]
    assert first == plan(BY_NAME["offer_aftercare"], signal.model_copy(update={"source_id": "again"}), now)


def test_goals_stop_their_instance_or_company_or_everything():
    at = jst(2, 12)
    accepted = stop_order(sequences(), JourneySignal(kind="OfferAccepted", recipient_id="c", at=at, source_id="e",
                                                     instance="of-1", company_id="co"))
    assert (accepted.sequences, accepted.instance, accepted.company_id) == (("offer_aftercare",), "of-1", None)
    block = stop_order(sequences(), JourneySignal(kind="CompanyBlocked", recipient_id="c", at=at, source_id="e",
                                                  company_id="co"))
    assert set(block.sequences) == {"campaign_reminder", "offer_aftercare", "interview_reminder"}
    assert block.company_id == "co"
    gone = stop_order(sequences(), JourneySignal(kind="ProfileDeleted", recipient_id="c", at=at, source_id="e"))
    assert set(gone.sequences) == set(BY_NAME)
    assert stop_order(sequences(), line_signal("LineFollowed", "c", at, "e")) is None


def test_segment_filter_combines_attributes_and_survey_answers():
    segment = SegmentFilter(graduation_years=[2027], industries=["IT"], survey={"q-internship": []})
    her = {"graduation_year": 2027, "industries": ["IT", "finance"]}
    assert matches(segment, her, {"q-internship": "yes"})
    assert not matches(segment, her, {})
    assert not matches(segment, {**her, "graduation_year": 2026}, {"q-internship": "yes"})
    assert not matches(SegmentFilter(survey={"q": ["yes"]}), her, {"q": "no"})
    assert matches(None, {}, {})


def test_member_status_follows_scout_interview_offer_and_decline():
    member = Member()
    for event, expected in [
        (ScoutSent(scout_id="s", company_id="co", company_name="A", recruiter_id="r", recruiter_name="S",
                   candidate_id="c", reason="x", sent_at=jst(2, 12)), "scouted"),
        (InterviewScheduled(interview_id="i", thread_id="t", company_id="co", candidate_id="c",
                            starts_at=jst(3, 12), candidate_time_zone="Asia/Tokyo", scheduled_at=jst(2, 12)),
         "interviewing"),
        (OfferIssued(offer_id="o", thread_id="t", company_id="co", candidate_id="c", respond_by=jst(9, 12),
                     issued_at=jst(2, 12)), "offer_holder"),
        (ScoutSent(scout_id="s2", company_id="co2", company_name="B", recruiter_id="r", recruiter_name="S",
                   candidate_id="c", reason="x", sent_at=jst(2, 12)), "offer_holder"),
        (OfferDeclined(offer_id="o", thread_id="t", company_id="co", candidate_id="c", declined_at=jst(3, 12)),
         "interviewing"),
        (OfferAccepted(offer_id="o2", thread_id="t", company_id="co", candidate_id="c", accepted_at=jst(3, 12)),
         "offer_holder"),
    ]:
        member = after(member, event)
        assert member.status == expected


def test_a_blocked_company_reaches_her_in_no_category():
    state = blocked(reachable(), "co-a")
    for category in ("outreach", "transactional", "critical"):
        d = decide(an_intent(category=category, company="co-a"), state, jst(2, 12), PolicyConfig())
        assert (d.action, d.reason) == (Action.SUPPRESS, Reason.BLOCKED)
    other = decide(an_intent(company="co-b"), state, jst(2, 12), PolicyConfig())
    assert other.action == Action.SEND


def test_an_expired_scout_counts_towards_backoff():
    config = PolicyConfig()
    state = reachable()
    for _ in range(config.backoff_after_unanswered):
        state = left_unanswered(state, "co-a")
    d = decide(an_intent(template="campaign_reminder", company="co-a", automatic=True), state, jst(2, 12), config)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.BACKOFF)


def test_a_lapsed_offer_ends_its_aftercare_and_takes_her_back_to_interviewing():
    lapsed = OfferLapsed(offer_id="o", thread_id="t", company_id="co", candidate_id="c", respond_by=jst(9, 12),
                         lapsed_at=jst(9, 12, 1))
    order = stop_order(sequences(), signal_for(lapsed, source_id="e"))
    assert (order.sequences, order.instance, order.reason) == (("offer_aftercare",), "o", "goal:OfferLapsed")
    holder = after(Member(status="interviewing"), OfferIssued(offer_id="o", thread_id="t", company_id="co",
                                                               candidate_id="c", respond_by=jst(9, 12),
                                                               issued_at=jst(2, 12)))
    assert (holder.status, after(holder, lapsed).status) == ("offer_holder", "interviewing")
