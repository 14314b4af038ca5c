"""Numbered lists on the real store: concurrent appends take every number once and leave no gap;
`once` lists a value a single time; a stale hint (a lost race, a drop cut short) never hides an
entry; a list is read and dropped by `_id` only (checked with the store's command log)."""

import asyncio

from tsunagu_shared import db as database
from tsunagu_shared import store_commands
from tsunagu_shared.numbered import NumberedList
from tsunagu_shared.testing import mongo_url, unique_prefix


async def with_collection(test) -> None:
    mongo = database.connect(mongo_url())
    try:
        await test(mongo[unique_prefix().strip(".")]["lists"])
    finally:
        await mongo.close()


async def test_concurrent_appends_take_every_number_once():
    async def test(collection) -> None:
        listed = NumberedList(collection, "her")
        numbers = await asyncio.gather(*(listed.append(f"v{i}") for i in range(20)))
        assert sorted(numbers) == list(range(20))
        assert sorted(await listed.read()) == sorted(f"v{i}" for i in range(20))
        assert await NumberedList(collection, "other").read() == []
    await with_collection(test)


async def test_once_lists_a_value_a_single_time():
    async def test(collection) -> None:
        listed = NumberedList(collection, "her")
        assert [await listed.append(v, once=True) for v in ("a", "b", "a", "c", "b")] == [0, 1, 0, 2, 1]
        assert await listed.read() == ["a", "b", "c"]
    await with_collection(test)


async def test_a_hint_past_the_end_never_leaves_a_gap():
    async def test(collection) -> None:
        listed = NumberedList(collection, "her")
        for v in ("a", "b", "c"):
            await listed.append(v)
        # a drop cut short: the last entries gone, the hint still past them
        await collection.delete_one({"_id": "her#2"})
        await collection.delete_one({"_id": "her#1"})
        await listed.append("d")
        assert await listed.read() == ["a", "d"]
        await listed.drop()
        assert await listed.read() == [] and await collection.count_documents({}) == 0
        await listed.append("e")
        assert await listed.read() == ["e"]
    await with_collection(test)


async def test_a_list_is_read_by_id_only(tmp_path, monkeypatch):
    log = tmp_path / "commands.jsonl"
    monkeypatch.setenv(store_commands.LOG_VARIABLE, str(log))

    async def test(collection) -> None:
        listed = NumberedList(collection, "her")
        for v in range(60):  # more than one round of concurrent reads
            await listed.append(v, once=v % 2 == 0)
        assert await listed.read() == list(range(60))
        await listed.drop()

    await with_collection(test)
    selections = store_commands.read(str(log))
    assert {s["command"] for s in selections} >= {"find", "update", "delete"}
    assert all(store_commands.by_id(s) for s in selections), [s for s in selections if not store_commands.by_id(s)]
