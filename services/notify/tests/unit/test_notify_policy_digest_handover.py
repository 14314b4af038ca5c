"""A digest outlives its holder: when the holding intent is cancelled or suppressed, the intents
merged into it are not dropped; the oldest takes over and keeps the rest (pure rules)."""

from tsunagu_notify.domain.model import Action, Decision, Reason
from tsunagu_notify.domain.policy import apply_decision, decide, handed_over, note_handover
from tsunagu_notify.domain.policy_config import PolicyConfig
from tsunagu_notify.testing import an_intent, jst, reachable

CONFIG = PolicyConfig()
NIGHT, MORNING = jst(2, 23), jst(3, 8, 5)


def _step(state, intent, now):
    decision = decide(intent, state, now, CONFIG)
    return decision, apply_decision(state, intent, decision, CONFIG)


def _night_digest():
    """Three scouts at night from three companies: the first holds, the other two are merged."""
    holder, second, third = (an_intent(company=c, variables={"company_name": c}) for c in ("co-a", "co-b", "co-c"))
    state = reachable()
    for intent in (holder, second, third):
        _, state = _step(state, intent, NIGHT)
    return state, holder, second, third


def _cancel(state, holder):
    decision = Decision(intent_id=holder.intent_id, recipient_id=holder.recipient_id, action=Action.SUPPRESS,
                        reason=Reason.CANCELLED, decided_at=NIGHT, attempt=holder.attempt + 1)
    after = apply_decision(state, holder, decision, CONFIG)
    return note_handover(decision, state, after), after


def test_the_night_builds_one_holder_with_two_merged_items():
    state, holder, second, third = _night_digest()
    assert state.open_digest.holder_intent_id == holder.intent_id
    assert [i.intent_id for i in state.open_digest.items] == [second.intent_id, third.intent_id]


def test_cancelled_holder_hands_the_digest_to_the_oldest_merged_item():
    state, holder, second, third = _night_digest()
    decision, after = _cancel(state, holder)
    assert after.open_digest.holder_intent_id == second.intent_id
    assert [i.intent_id for i in after.open_digest.items] == [third.intent_id]
    assert decision.rules["digest_handed_to"] == second.intent_id
    again = handed_over(holder, decision, after).as_intent(holder.recipient_id, NIGHT)
    assert (again.intent_id, again.company_id, again.attempt) == (second.intent_id, "co-b", second.attempt + 1)


def test_new_holder_sends_one_digest_in_the_morning_naming_the_rest():
    state, holder, _, _ = _night_digest()
    _, state = _cancel(state, holder)
    again = state.open_digest.holder_item.as_intent(holder.recipient_id, NIGHT)
    decision, after = _step(state, again, MORNING)
    assert (decision.action, decision.reason) == (Action.SEND, Reason.DIGEST_DUE)
    assert after.open_digest is None
    assert set(after.sends[-1].company_ids) == {"co-b", "co-c"}  # counted once per company in it


def test_suppressed_holder_without_merged_items_closes_the_digest():
    state = reachable()
    holder = an_intent()
    _, state = _step(state, holder, NIGHT)
    decision, after = _cancel(state, holder)
    assert after.open_digest is None and "digest_handed_to" not in decision.rules
    assert handed_over(holder, decision, after) is None


def test_a_merged_item_suppressed_later_does_not_touch_the_digest():
    state, holder, _, _ = _night_digest()
    decision = Decision(intent_id="someone-else", recipient_id=holder.recipient_id, action=Action.SUPPRESS,
                        reason=Reason.CANCELLED, decided_at=NIGHT)
    other = an_intent(intent_id="someone-else")
    assert apply_decision(state, other, decision, CONFIG).open_digest == state.open_digest
