"""100 scouts to one student from 50 companies at once, decided by two notify workers of one
consumer group (a rebalance happens while they start): the platform-wide cap holds exactly."""

import asyncio

import pytest
from faultkit import FAULT_POLICY, NO_QUIET_HOURS, LoggedServiceProcess, NotifyUnderTest, scout_intent, until

COMPANIES, SCOUTS_EACH, PLATFORM_CAP = 50, 2, 5


@pytest.mark.slow
async def test_hundred_concurrent_scouts_from_fifty_companies_respect_the_platform_cap_exactly():
    async with NotifyUnderTest(**FAULT_POLICY) as notify:
        second = LoggedServiceProcess("notify", env=notify.process.env)
        await second.start()
        try:
            student = f"fc{notify.run}-student"
            await notify.register([student], quiet_hours=NO_QUIET_HOURS)
            events = {company: [scout_intent(c * SCOUTS_EACH + k, student, company, run=notify.run)
                                for k in range(SCOUTS_EACH)]
                      for c, company in enumerate(f"co-{i:02d}" for i in range(COMPANIES))}
            await asyncio.gather(*(notify.publish(scouts) for scouts in events.values()))
            total = COMPANIES * SCOUTS_EACH

            async def all_decided():
                return await notify.db.decisions.count_documents({"recipient_id": student}) >= total
            await until(all_decided, timeout=90, every=1.0, what=f"{total} decisions")
            await notify.wait_settled(PLATFORM_CAP, total, timeout=30)
            await asyncio.sleep(1.0)  # settle: a late duplicate send would show up now
            ledger = await notify.ledger([student])
        finally:
            second.stop()
    actions = [d["action"] for decisions in ledger.decisions.values() for d in decisions]
    reasons = sorted(d["reason"] for decisions in ledger.decisions.values() for d in decisions)
    assert sum(ledger.emails.values()) == PLATFORM_CAP
    assert len(ledger.decisions) == total and len(actions) == total  # one decision per scout
    assert actions.count("send") == PLATFORM_CAP
    assert reasons == ["allowed"] * PLATFORM_CAP + ["platform_cap"] * (total - PLATFORM_CAP)
    assert all(count == 1 for count in ledger.emails.values())
