"""The contact policy, rule by rule (docs/notify.md, "The policy"), as a pure function."""

from datetime import UTC, timedelta

from tsunagu_notify.domain.model import Action, ChannelStatus, Reason, SendRecord
from tsunagu_notify.domain.policy import apply_decision, decide
from tsunagu_notify.domain.policy_config import CapRule, PolicyConfig
from tsunagu_notify.testing import CONSENT_AT, an_intent, jst, reachable

CONFIG = PolicyConfig()


def sent(state, intent, now):
    decision = decide(intent, state, now, CONFIG)
    return decision, apply_decision(state, intent, decision, CONFIG)


def test_unknown_recipient_is_suppressed():
    from tsunagu_notify.domain.model import RecipientState

    d = decide(an_intent(), RecipientState(recipient_id="x"), jst(2, 12), CONFIG)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.UNKNOWN_RECIPIENT)


def test_preferred_channel_is_used_when_allowed():
    d = decide(an_intent(), reachable(preferred="email"), jst(2, 12), CONFIG)
    assert (d.action, d.channel, d.reason) == (Action.SEND, "email", Reason.ALLOWED)


# Rule 1: consent and opt-out
def test_no_consent_on_any_channel_is_suppressed():
    state = reachable("line").model_copy(update={"channels": {"line": ChannelStatus(address="U1")}})
    d = decide(an_intent(), state, jst(2, 12), CONFIG)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.NO_CONSENT)


def test_opted_out_channel_escalates_to_next_consented_one():
    state = reachable("line", "email")
    state = state.model_copy(update={"channels": {**state.channels, "line": state.channels["line"].model_copy(
        update={"opted_out_at": CONSENT_AT})}})
    d = decide(an_intent(), state, jst(2, 12), CONFIG)
    assert (d.action, d.channel, d.reason) == (Action.SEND, "email", Reason.ESCALATED)


def test_opted_out_everywhere_is_suppressed_as_opted_out():
    state = reachable("sms", preferred="sms")
    state = state.model_copy(update={"channels": {"sms": state.channels["sms"].model_copy(
        update={"opted_out_at": CONSENT_AT})}})
    d = decide(an_intent(category="transactional"), state, jst(2, 12), CONFIG)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.OPTED_OUT)


def test_one_confirmation_after_opt_out_and_never_a_second():
    state = reachable("sms", preferred="sms")
    state = state.model_copy(update={"channels": {"sms": state.channels["sms"].model_copy(
        update={"opted_out_at": CONSENT_AT})}})
    confirm = an_intent(category="transactional", template="opt_out_confirmation", channel="sms", company=None)
    first, state = sent(state, confirm, jst(2, 23))
    assert (first.action, first.reason) == (Action.SEND, Reason.CONFIRMATION)
    second = decide(an_intent(category="transactional", template="opt_out_confirmation", channel="sms"), state,
                    jst(2, 23, 5), CONFIG)
    assert (second.action, second.reason) == (Action.SUPPRESS, Reason.DUPLICATE)


# Rule 2: quiet hours, crossing midnight
def test_outreach_at_23_local_is_deferred_to_08_local():
    d = decide(an_intent(), reachable(), jst(2, 23), CONFIG)
    assert (d.action, d.reason, d.until) == (Action.DEFER, Reason.QUIET_HOURS, jst(3, 8))


def test_outreach_at_3_local_is_deferred_to_08_same_day():
    d = decide(an_intent(), reachable(), jst(3, 3), CONFIG)
    assert (d.action, d.until) == (Action.DEFER, jst(3, 8))


def test_her_own_quiet_hours_and_zone_are_used():
    state = reachable(time_zone="Europe/London", quiet_hours_start="22:00", quiet_hours_end="07:00")
    # 21:30 in London (BST, UTC+1) is allowed for her although it is 05:30 in Tokyo.
    from datetime import datetime

    d = decide(an_intent(), state, datetime(2025, 6, 2, 20, 30, tzinfo=UTC), CONFIG)
    assert d.action == Action.SEND


def test_critical_passes_quiet_hours():
    d = decide(an_intent(category="critical", template="interview_scheduled"), reachable(), jst(2, 23), CONFIG)
    assert (d.action, d.reason) == (Action.SEND, Reason.ALLOWED)


def test_transactional_also_waits_for_quiet_hours_to_end():
    d = decide(an_intent(category="transactional"), reachable(), jst(2, 22), CONFIG)
    assert (d.action, d.reason) == (Action.DEFER, Reason.QUIET_HOURS)


# Rule 3: platform budget and per-company cap
def _with_outreach(state, *moments_and_companies):
    sends = tuple(SendRecord(at=at, channel="line", category="outreach", company_ids=(co,))
                  for at, co in moments_and_companies)
    return state.model_copy(update={"sends": sends})


def test_platform_budget_across_companies_suppresses():
    state = _with_outreach(reachable(), *[(jst(1, 9) + timedelta(days=i), f"co-{i}") for i in range(5)])
    d = decide(an_intent(company="co-new"), state, jst(6, 18), CONFIG)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.PLATFORM_CAP)


def test_platform_budget_frees_when_rolling_window_passes():
    state = _with_outreach(reachable(), *[(jst(1, 9) + timedelta(days=i), f"co-{i}") for i in range(5)])
    d = decide(an_intent(company="co-new"), state, jst(8, 10), CONFIG)
    assert d.action == Action.SEND


def test_company_cap_one_company_cannot_exceed_its_share():
    state = _with_outreach(reachable(), (jst(1, 9), "co-a"), (jst(3, 9), "co-a"))
    assert decide(an_intent(company="co-a"), state, jst(10, 12), CONFIG).reason == Reason.COMPANY_CAP
    assert decide(an_intent(company="co-b"), state, jst(10, 12), CONFIG).action == Action.SEND


def test_calendar_day_budget_defers_to_next_local_day():
    state = _with_outreach(reachable(), (jst(2, 9), "co-a"), (jst(2, 14), "co-b"))
    d = decide(an_intent(company="co-c"), state, jst(2, 19), CONFIG)
    assert (d.action, d.reason, d.until) == (Action.DEFER, Reason.PLATFORM_CAP, jst(3, 8))


def test_transactional_is_not_counted_as_outreach():
    sends = tuple(SendRecord(at=jst(2, 9 + i), channel="line", category="transactional") for i in range(6))
    state = reachable().model_copy(update={"sends": sends})
    assert decide(an_intent(), state, jst(2, 18), CONFIG).action == Action.SEND


# Rule 4: per-channel caps
def test_sms_cap_escalates_or_defers():
    sends = (SendRecord(at=jst(2, 9), channel="sms", category="transactional"),)
    only_sms = reachable("sms", preferred="sms").model_copy(update={"sends": sends})
    d = decide(an_intent(category="transactional"), only_sms, jst(2, 12), CONFIG)
    assert (d.action, d.reason, d.until) == (Action.DEFER, Reason.CHANNEL_CAP, jst(3, 8))
    both = reachable("sms", "email", preferred="sms").model_copy(update={"sends": sends})
    d = decide(an_intent(category="transactional"), both, jst(2, 12), CONFIG)
    assert (d.action, d.channel, d.reason) == (Action.SEND, "email", Reason.ESCALATED)


# Rule 5: minimum gap between outreach
def test_min_gap_defers_second_outreach():
    state = _with_outreach(reachable(), (jst(2, 10), "co-a"))
    d = decide(an_intent(company="co-b"), state, jst(2, 11), CONFIG)
    assert (d.action, d.reason, d.until) == (Action.DEFER, Reason.MIN_GAP, jst(2, 14))


# Rule 6: backoff after non-response
def test_automatic_reminders_stop_after_n_unanswered():
    state = reachable(unanswered={"co-a": 3})
    d = decide(an_intent(company="co-a", automatic=True), state, jst(2, 12), CONFIG)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.BACKOFF)


def test_silence_towards_many_companies_shrinks_the_budget():
    config = PolicyConfig(caps=(CapRule(name="week", scope="platform", limit=3, days=7),))
    state = _with_outreach(reachable(unanswered={"co-x": 3, "co-y": 3}), (jst(1, 9), "co-x"))
    d = decide(an_intent(company="co-z"), state, jst(2, 18), config)
    assert (d.action, d.reason) == (Action.SUPPRESS, Reason.PLATFORM_CAP)


def test_sending_outreach_counts_a_non_response_streak():
    _, state = sent(reachable(), an_intent(company="co-a"), jst(2, 12))
    assert state.unanswered == {"co-a": 1}
    assert len(state.sends) == 1


# Rule 10: digests
def test_piled_up_outreach_is_digested_and_sent_once():
    state = reachable()
    first = an_intent(company="co-a")
    d1, state = sent(state, first, jst(2, 22))
    assert d1.action == Action.DEFER
    d2, state = sent(state, an_intent(company="co-b"), jst(2, 23))
    assert (d2.action, d2.into) == (Action.DIGEST, first.intent_id)
    resubmitted = first.model_copy(update={"attempt": 1})
    d3, state = sent(state, resubmitted, jst(3, 8))
    assert (d3.action, d3.reason) == (Action.SEND, Reason.DIGEST_DUE)
    assert len(state.sends) == 1 and set(state.sends[0].company_ids) == {"co-a", "co-b"}
    assert state.open_digest is None


def test_not_before_defers_reminders():
    d = decide(an_intent(not_before=jst(5, 10)), reachable(), jst(2, 12), CONFIG)
    assert (d.action, d.reason, d.until) == (Action.DEFER, Reason.NOT_BEFORE, jst(5, 10))
