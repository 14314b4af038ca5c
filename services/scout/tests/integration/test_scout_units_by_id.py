"""Unit pools on the real store, addressed by `_id` only: concurrent takers never exceed the limit,
a freed unit is taken again, a holder's unit is freed whatever number it holds, and no command
names a filter other than `_id` (the store's command log)."""

import asyncio

from tsunagu_scout.adapters.units import MongoUnits
from tsunagu_shared import db as database
from tsunagu_shared import store_commands
from tsunagu_shared.testing import mongo_url, unique_prefix


async def with_units(test) -> None:
    mongo = database.connect(mongo_url())
    try:
        await test(MongoUnits(mongo[unique_prefix().strip(".")]))
    finally:
        await mongo.close()


async def test_takers_never_exceed_the_limit_and_freed_units_are_taken_again(tmp_path, monkeypatch):
    log = tmp_path / "commands.jsonl"
    monkeypatch.setenv(store_commands.LOG_VARIABLE, str(log))

    async def test(units: MongoUnits) -> None:
        taken = await asyncio.gather(*(units.take("slots:acme", 3, f"s{i}") for i in range(10)))
        holders = [f"s{i}" for i, ok in enumerate(taken) if ok]
        assert len(holders) == 3 and await units.held("slots:acme", 3) == 3
        assert sorted(await units.holders("slots:acme", 3)) == sorted(holders)
        await units.give_back("slots:acme", holders[1])  # a unit in the middle of the pool
        await units.give_back("slots:acme", holders[1])  # twice: nothing more
        await units.give_back("slots:acme", "never-held")
        assert await units.held("slots:acme", 3) == 2
        assert await units.take("slots:acme", 3, "late")
        assert not await units.take("slots:acme", 3, "later")
        assert sorted(await units.holders("slots:acme", 3)) == sorted([holders[0], holders[2], "late"])
        assert await units.held("slots:other", 3) == 0

    await with_units(test)
    selections = store_commands.read(str(log))
    assert {s["command"] for s in selections} >= {"find", "update", "delete"}
    assert all(store_commands.by_id(s) for s in selections), [s for s in selections if not store_commands.by_id(s)]
