"""The policy's fast paths give what the straightforward code gave.

- A cap's window is counted once per decision from precomputed starts (calendar windows as cached
  UTC moments) and the history is sorted only when the cap is full: compared here with the former
  per-rule computation (kept below as the reference) on generated histories, zones and moments,
  biased to the boundaries (a send exactly at a window's start, at local midnight, across DST).
- Results are built without validating again (`unchecked`, `changed`): they equal, dump and
  round-trip like the validated `Decision(...)` / `model_copy(update=...)`.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tsunagu_notify.domain.caps import cap_free_at
from tsunagu_notify.domain.local_time import zone
from tsunagu_notify.domain.model import Action, Decision, Reason, RecipientState, SendRecord, changed, unchecked
from tsunagu_notify.domain.policy import apply_decision, decide
from tsunagu_notify.domain.policy_config import Cap, CapRule, PolicyConfig
from tsunagu_notify.testing import an_intent, jst, reachable

ZONES = ["Asia/Tokyo", "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "UTC",
         "Not/AZone"]
START = datetime(2025, 3, 25, tzinfo=UTC)  # days before and after the European and American DST changes


# The reference: windows as the policy computed them before (per rule, converting each time).
def _reference_day_start(moment: datetime, tz: str) -> datetime:
    local = moment.astimezone(zone(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).replace(tzinfo=None).replace(tzinfo=zone(tz))


def _reference_add_days(midnight: datetime, days: int, tz: str) -> datetime:
    naive = midnight.astimezone(zone(tz)).replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=zone(tz))


def _reference_free_at(rule: CapRule, times: list[datetime], now: datetime, tz: str, limit: int) -> datetime | None:
    if rule.window == "rolling":
        start = now - timedelta(days=rule.days)
        inside = sorted(t for t in times if t > start)
    else:
        start = _reference_add_days(_reference_day_start(now, tz), -(rule.days - 1), tz)
        inside = sorted(t for t in times if t >= start)
    if len(inside) < limit:
        return None
    oldest_to_leave = inside[len(inside) - limit]
    if rule.window == "rolling":
        return oldest_to_leave + timedelta(days=rule.days)
    return _reference_add_days(_reference_day_start(oldest_to_leave, tz), rule.days, tz)


def _boundaries(now: datetime, tz: str) -> list[datetime]:
    """Moments where an off-by-one would show: local midnights and exact rolling-window starts."""
    midnight = _reference_day_start(now, tz)
    moments = [_reference_add_days(midnight, -d, tz).astimezone(UTC) for d in range(0, 9)]
    moments += [now - timedelta(days=d) for d in range(1, 9)]
    return moments


rules = st.builds(lambda window, days, limit: CapRule(name="r", scope="platform", window=window, days=days,
                                                      limit=limit),
                  st.sampled_from(["rolling", "calendar_day"]), st.integers(1, 8), st.integers(1, 4))


@settings(max_examples=400, deadline=None)
@given(rules, st.sampled_from(ZONES), st.integers(0, 20 * 24 * 4), st.data())
def test_cap_windows_match_the_per_rule_computation(rule, tz, quarter_hours, data):
    now = START + timedelta(minutes=15 * quarter_hours)
    near = st.integers(0, 9 * 24 * 4).map(lambda q: now - timedelta(minutes=15 * q))
    times = data.draw(st.lists(st.one_of(near, st.sampled_from(_boundaries(now, tz))), max_size=10))
    local = now.astimezone(zone(tz))
    assert cap_free_at(Cap.of(rule), times, now, local, rule.limit) == \
        _reference_free_at(rule, times, now, tz, rule.limit)


def test_a_send_at_local_midnight_counts_for_that_calendar_day():
    rule = CapRule(name="day", scope="platform", window="calendar_day", days=1, limit=1, on_exceed="defer")
    now = jst(2, 12)
    midnight = jst(2, 0)
    local = now.astimezone(zone("Asia/Tokyo"))
    assert cap_free_at(Cap.of(rule), [midnight], now, local, 1) == jst(3, 0)
    assert cap_free_at(Cap.of(rule), [midnight - timedelta(microseconds=1)], now, local, 1) is None


def _same(built, validated):
    assert built == validated
    assert built.model_dump(mode="python") == validated.model_dump(mode="python")
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set
    assert type(built).model_validate(built.model_dump(mode="python")) == validated


def test_a_decision_built_unchecked_equals_the_validated_one():
    now = jst(2, 12)
    built = unchecked(Decision, {
        "intent_id": "i-1", "recipient_id": "cand-1", "action": Action.SEND, "reason": Reason.ALLOWED,
        "channel": "line", "at": now, "until": None, "into": None, "detail": "", "decided_at": now, "attempt": 0,
        "rules": {}}, {"intent_id", "recipient_id", "action", "reason", "channel", "at", "decided_at", "attempt"})
    _same(built, Decision(intent_id="i-1", recipient_id="cand-1", action=Action.SEND, reason=Reason.ALLOWED,
                          channel="line", at=now, decided_at=now, attempt=0))
    # Still a frozen model, with a fields set of its own.
    assert built.model_copy(update={"detail": "x"}).model_fields_set >= {"detail", "intent_id"}
    assert "detail" not in built.model_fields_set


def test_a_state_changed_equals_model_copy():
    state = reachable(unanswered={"co-a": 1})
    sends = (SendRecord(at=jst(2, 12), channel="line", category="outreach", company_ids=("co-a",)),)
    _same(changed(state, sends=sends, unanswered={"co-a": 2}),
          state.model_copy(update={"sends": sends, "unanswered": {"co-a": 2}}))


def test_decisions_and_states_round_trip_as_before():
    """What the policy stores (state) and logs (decision) dumps and validates back to itself."""
    config, state, now = PolicyConfig(), reachable(), jst(2, 12)
    for intent in (an_intent(), an_intent(company="co-b"), an_intent(category="critical"), an_intent()):
        decision = decide(intent, state, now, config)
        state = apply_decision(state, intent, decision, config)
        assert Decision.model_validate(decision.model_dump(mode="python")) == decision
        assert Decision.model_validate_json(decision.model_dump_json()) == decision
        assert RecipientState.model_validate(state.model_dump(mode="python")) == state
        now += timedelta(hours=5)
    assert [s.company_ids for s in state.sends] == [("co-a",), ("co-b",), ("co-a",)]
