"""Property-based: no sequence of intents ever breaks a cap, quiet hours, or an opt-out."""

import heapq
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from tsunagu_notify.domain.local_time import in_quiet_hours
from tsunagu_notify.domain.model import Action
from tsunagu_notify.domain.policy import apply_decision, decide
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.testing import an_intent, jst, reachable

CONFIG = PolicyConfig()

arrival = st.tuples(
    st.integers(min_value=0, max_value=14 * 24 * 60),  # minutes after the start
    st.sampled_from(["outreach", "outreach", "transactional", "critical"]),
    st.sampled_from(["co-a", "co-b", "co-c", "co-d"]),
    st.booleans(),  # automatic
)
opt_out = st.one_of(st.none(), st.tuples(st.integers(0, 14 * 24 * 60), st.sampled_from(["line", "email", "sms"])))


def simulate(arrivals, opt_out_at):
    """Feed intents at their times, re-submit deferrals when due; return every send made."""
    start = jst(1, 0)
    state = reachable(preferred="line")
    queue = [(start + timedelta(minutes=m), n, an_intent(category=c, company=co, automatic=a))
             for n, (m, c, co, a) in enumerate(arrivals)]
    heapq.heapify(queue)
    opted = None if opt_out_at is None else (start + timedelta(minutes=opt_out_at[0]), opt_out_at[1])
    sends, steps = [], 0
    while queue and steps < 2000:
        steps += 1
        now, n, intent = heapq.heappop(queue)
        if opted and now >= opted[0] and not state.channel(opted[1]).opted_out_at:
            channel = opted[1]
            status = state.channel(channel).model_copy(update={"opted_out_at": opted[0]})
            state = state.model_copy(update={"channels": {**state.channels, channel: status}})
        decision = decide(intent, state, now, CONFIG)
        state = apply_decision(state, intent, decision, CONFIG)
        if decision.action == Action.SEND:
            sends.append((now, decision.channel, intent.category))
            check_caps_held(state, now)
        elif decision.action == Action.DEFER:
            assert decision.until > now
            heapq.heappush(queue, (decision.until, n, intent.model_copy(update={"attempt": intent.attempt + 1})))
    return sends, opted


def check_caps_held(state, now):
    """Right after a send, every cap counts at most its limit (one more would be blocked, not more)."""
    for rule in CONFIG.caps:
        if rule.scope != "platform":
            continue
        outreach = [s for s in state.sends if s.category == "outreach" and s.at <= now]
        if rule.window == "rolling":
            window = [s for s in outreach if s.at > now - timedelta(days=rule.days)]
            assert len(window) <= rule.limit, (rule.name, len(window))
    # No company ever exceeds its cap either.
    for rule in CONFIG.caps:
        if rule.scope == "company":
            for company in {c for s in state.sends for c in s.company_ids}:
                window = [s for s in state.sends if s.category == "outreach" and company in s.company_ids
                          and s.at > now - timedelta(days=rule.days)]
                assert len(window) <= rule.limit


@settings(max_examples=150, deadline=None)
@given(st.lists(arrival, max_size=25), opt_out)
def test_no_sequence_breaks_caps_quiet_hours_or_opt_out(arrivals, opt_out_at):
    sends, opted = simulate(arrivals, opt_out_at)
    for at, channel, category in sends:
        if category != "critical":
            assert not in_quiet_hours(at, "Asia/Tokyo", "21:00", "08:00"), at
        if opted:
            assert not (channel == opted[1] and at >= opted[0]), (at, channel)
    outreach = sorted(at for at, _, category in sends if category == "outreach")
    for i, at in enumerate(outreach):
        in_week = [t for t in outreach[: i + 1] if t > at - timedelta(days=7)]
        assert len(in_week) <= 5
        if i:
            assert at - outreach[i - 1] >= CONFIG.min_gap


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 3 * 24 * 60), max_size=20))
def test_sms_channel_caps_hold_for_any_arrivals(minutes):
    start = jst(1, 0)
    state = reachable("sms", preferred="sms")
    sms_sends = []
    for m in sorted(minutes):
        now = start + timedelta(minutes=m)
        intent = an_intent(category="transactional")
        decision = decide(intent, state, now, CONFIG)
        state = apply_decision(state, intent, decision, CONFIG)
        if decision.action == Action.SEND:
            sms_sends.append(now)
    days = {}
    for at in sms_sends:
        day = at.astimezone(ZoneInfo("Asia/Tokyo")).date()
        days[day] = days.get(day, 0) + 1
    assert all(count <= 1 for count in days.values())
