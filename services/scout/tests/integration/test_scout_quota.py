"""Quota and awaiting-slot atomicity: concurrent sends never overspend."""

import asyncio


async def test_concurrent_sends_on_the_last_unit_let_exactly_one_through(stack):
    await stack.company("acme", regular=3)
    for i in range(12):
        await stack.student_known(f"cand-{i}")
    for i in range(2):
        assert (await stack.send("acme", f"cand-{i}")).status_code == 201
    results = await asyncio.gather(*(stack.send("acme", f"cand-{i}") for i in range(2, 12)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 9, [r.text for r in results]
    assert all("quota" in r.json()["detail"] for r in results if r.status_code == 409)
    usage = (await stack.client.get("/companies/me", headers=stack.recruiter("acme"))).json()
    assert usage["quota_used"]["regular"] == 3
    sent = (await stack.client.get("/scouts/sent", headers=stack.recruiter("acme"))).json()
    assert len(sent) == 3
    assert usage["awaiting"] == 3  # every refused send gave its awaiting slot back
    # the winner is any of them
    refused = next(i for i, r in zip(range(2, 12), results, strict=True) if r.status_code == 409)
    assert (await stack.send("acme", f"cand-{refused}", tier="premium")).status_code == 201


async def test_concurrent_sends_respect_the_awaiting_limit(stack):
    await stack.company("acme", regular=100, max_awaiting=2)
    for i in range(8):
        await stack.student_known(f"cand-{i}")
    results = await asyncio.gather(*(stack.send("acme", f"cand-{i}") for i in range(8)))
    assert sorted(r.status_code for r in results) == [201, 201] + [409] * 6
    usage = (await stack.client.get("/companies/me", headers=stack.recruiter("acme"))).json()
    assert usage["quota_used"]["regular"] == 2 and usage["awaiting"] == 2  # refused sends did not keep a quota unit


async def test_quota_is_per_tier_and_per_month(stack):
    await stack.company("acme", regular=1, premium=1)
    for i in range(4):
        await stack.student_known(f"cand-{i}")
    assert (await stack.send("acme", "cand-0")).status_code == 201
    spent = await stack.send("acme", "cand-1")
    assert spent.status_code == 409 and "regular" in spent.json()["detail"]
    assert (await stack.send("acme", "cand-1", tier="premium")).status_code == 201
    stack.clock.advance(days=31)  # next month: a fresh quota
    assert (await stack.send("acme", "cand-2")).status_code == 201
