"""Provider outage: the SMTP provider answers "try again later" (421, the email 429) and
fails (451) for a while. Deliveries are retried with backoff, the caps still hold, and
nothing is sent twice."""

import pytest
from faultkit import FAULT_POLICY, NO_QUIET_HOURS, NotifyUnderTest, scout_intent
from tsunagu_emulators import Fault

RECIPIENTS, SCOUTS_EACH, COMPANY_CAP = 12, 3, 2
THROTTLED, FAILED = 10, 6


@pytest.mark.slow
async def test_provider_outage_is_retried_caps_hold_and_nothing_is_sent_twice():
    async with NotifyUnderTest(**FAULT_POLICY) as notify:
        people = [f"fp{notify.run}-{i:02d}" for i in range(RECIPIENTS)]
        await notify.register(people, quiet_hours=NO_QUIET_HOURS)
        notify.emulators.recorder.add_fault(Fault(provider="email", mode="429", count=THROTTLED))
        notify.emulators.recorder.add_fault(Fault(provider="email", mode="error", count=FAILED))
        # three scouts from one company to each student: the company cap (2 per 30 days) stops the third
        events = [scout_intent(r * SCOUTS_EACH + k, person, "co-outage", run=notify.run)
                  for r, person in enumerate(people) for k in range(SCOUTS_EACH)]
        await notify.publish(events)
        sendable = {e.intent_id for n, e in enumerate(events) if n % SCOUTS_EACH < COMPANY_CAP}
        suppressible = {e.intent_id for e in events} - sendable
        await notify.wait_settled(len(sendable), len(events), timeout=90)
        ledger = await notify.ledger(people)
        outcomes = [r["outcome"] for r in notify.emulators.recorder.requests if r["provider"] == "email"]
        attempts = [d["attempts"] async for d in notify.db.deliveries.find({}, {"attempts": 1})]
    assert ledger.problems(sendable=sendable, suppressible=suppressible) == []
    reasons = {d[0]["reason"] for i, d in ledger.decisions.items() if i in suppressible}
    assert reasons == {"company_cap"}
    assert outcomes.count("429") == THROTTLED and outcomes.count("error") == FAILED
    assert outcomes.count("accepted") == len(sendable)
    # every refused attempt was retried (no delivery gave up), and each delivery was sent once
    assert sum(attempts) == len(outcomes) and max(attempts) > 1
