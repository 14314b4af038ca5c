"""A stream of scouts decided by two notify workers while a third joins the group mid-stream and
leaves again (each move is a rebalance of notify-policy: partitions, and the people on them,
change owner while their intents are being decided). Every scout ends with exactly one decision,
every person gets exactly the platform cap of messages, and no message goes out twice."""

import asyncio

import pytest
from faultkit import FAULT_POLICY, NO_QUIET_HOURS, LoggedServiceProcess, NotifyUnderTest, scout_intent, until

PEOPLE, SCOUTS_EACH, PLATFORM_CAP = 24, 8, 5


@pytest.mark.slow
async def test_a_worker_joining_and_leaving_mid_stream_changes_no_decision():
    async with NotifyUnderTest(**FAULT_POLICY) as notify:
        second = LoggedServiceProcess("notify", env=notify.process.env)
        await second.start()
        third = LoggedServiceProcess("notify", env=notify.process.env)
        try:
            people = [f"fr{notify.run}-{i:02d}" for i in range(PEOPLE)]
            await notify.register(people, quiet_hours=NO_QUIET_HOURS)
            # each person hears from SCOUTS_EACH companies, interleaved so every partition stays busy
            events = [scout_intent(k * PEOPLE + i, person, f"co-{k:02d}", run=notify.run)
                      for k in range(SCOUTS_EACH) for i, person in enumerate(people)]
            total = len(events)
            stream = asyncio.create_task(notify.publish(events, pace_per_second=15))

            async def decided(n):
                return await notify.db.decisions.count_documents({"recipient_id": {"$in": people}}) >= n

            await until(lambda: decided(total // 4), timeout=90, every=0.5, what="a quarter of the decisions")
            await third.start()  # joins: the group rebalances while intents keep coming
            await until(lambda: decided(total // 2), timeout=90, every=0.5, what="half of the decisions")
            third.stop()  # leaves: its partitions move back while intents keep coming
            await stream
            await until(lambda: decided(total), timeout=120, every=1.0, what=f"{total} decisions")
            await notify.wait_settled(PLATFORM_CAP * PEOPLE, total, timeout=60)
            await asyncio.sleep(1.0)  # settle: a late duplicate send would show up now
            ledger = await notify.ledger(people)
        finally:
            third.stop()
            second.stop()
    person_of = {e.intent_id: e.recipient_id for e in events}
    by_person: dict[str, list[str]] = {}
    for intent_id, decisions in ledger.decisions.items():
        by_person.setdefault(person_of[intent_id], []).extend(d["reason"] for d in decisions)
    assert len(ledger.decisions) == total
    assert all(len(decisions) == 1 for decisions in ledger.decisions.values())  # one decision per scout
    assert {p: sorted(r) for p, r in by_person.items()} == {
        p: ["allowed"] * PLATFORM_CAP + ["platform_cap"] * (SCOUTS_EACH - PLATFORM_CAP) for p in people}
    assert all(count == 1 for count in ledger.emails.values())  # nothing sent twice
    assert sum(ledger.emails.values()) == PLATFORM_CAP * PEOPLE
