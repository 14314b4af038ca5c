"""Due buckets on the real store: work is handed over by its due minute, oldest first, only once it
is due; what the work leaves stays; an add into a minute already swept is not lost; two sweeps at
once hand out each id at least once and finish it once; a crash before the pull hands it again."""

import asyncio
from datetime import UTC, datetime, timedelta

from tsunagu_shared import db as database
from tsunagu_shared.due import DueBuckets
from tsunagu_shared.testing import mongo_url, unique_prefix

T0 = datetime(2026, 11, 29, 10, 5, 30, tzinfo=UTC)


async def with_buckets(test, **options) -> None:
    mongo = database.connect(mongo_url())
    try:
        await test(DueBuckets(mongo[unique_prefix().strip(".")], "work", **options))
    finally:
        await mongo.close()


def recording(handed: list[list[str]], *, keep: set[str] = frozenset()):
    async def work(ids: list[str]) -> list[str]:
        handed.append(sorted(ids))
        return [i for i in ids if i not in keep]
    return work


async def test_work_comes_by_its_minute_oldest_first_and_only_when_due():
    async def test(buckets: DueBuckets) -> None:
        await buckets.add("later", T0 + timedelta(hours=2))
        await buckets.add("b", T0 + timedelta(seconds=10))  # same minute as a
        await buckets.add("a", T0)
        await buckets.add("a", T0)  # twice: listed once
        handed: list[list[str]] = []
        assert await buckets.sweep(T0 - timedelta(minutes=1), recording(handed)) == 0 and handed == []
        assert await buckets.sweep(T0 + timedelta(minutes=1), recording(handed)) == 2
        assert handed == [["a", "b"]]
        assert await buckets.pending() == 1
        assert await buckets.sweep(T0 + timedelta(minutes=5), recording(handed)) == 0, "nothing more due yet"
        assert await buckets.sweep(T0 + timedelta(hours=3), recording(handed)) == 1
        assert handed[-1] == ["later"] and await buckets.pending() == 0
    await with_buckets(test)


async def test_what_the_work_leaves_stays_and_holds_the_cursor():
    async def test(buckets: DueBuckets) -> None:
        await buckets.add("not-yet", T0)
        await buckets.add("next", T0 + timedelta(minutes=1))
        handed: list[list[str]] = []
        await buckets.sweep(T0 + timedelta(minutes=3), recording(handed, keep={"not-yet"}))
        assert handed == [["not-yet"]], "the cursor waits at the minute with work left"
        await buckets.sweep(T0 + timedelta(minutes=3), recording(handed))
        assert handed[1:] == [["not-yet"], ["next"]] and await buckets.pending() == 0
    await with_buckets(test)


async def test_an_add_into_a_minute_already_swept_is_not_lost():
    async def test(buckets: DueBuckets) -> None:
        await buckets.add("first", T0)
        handed: list[list[str]] = []
        await buckets.sweep(T0 + timedelta(minutes=10), recording(handed))
        await buckets.add("late", T0)  # the cursor had passed this minute
        await buckets.sweep(T0 + timedelta(minutes=10), recording(handed))
        assert handed == [["first"], ["late"]]
    await with_buckets(test)


async def test_a_crash_before_the_pull_hands_the_ids_again():
    async def test(buckets: DueBuckets) -> None:
        await buckets.add("x", T0)

        async def crashing(ids: list[str]) -> list[str]:
            raise RuntimeError("the process died here")
        try:
            await buckets.sweep(T0 + timedelta(minutes=1), crashing)
        except RuntimeError:
            pass
        handed: list[list[str]] = []
        await buckets.sweep(T0 + timedelta(minutes=1), recording(handed))
        assert handed == [["x"]] and await buckets.pending() == 0
    await with_buckets(test)


async def test_two_sweeps_at_once_finish_everything():
    async def test(buckets: DueBuckets) -> None:
        ids = [f"s{n}" for n in range(30)]
        for n, item in enumerate(ids):
            await buckets.add(item, T0 + timedelta(minutes=n % 5))
        seen: list[str] = []

        async def work(batch: list[str]) -> list[str]:
            seen.extend(batch)
            await asyncio.sleep(0.01)
            return batch
        await asyncio.gather(*(buckets.sweep(T0 + timedelta(minutes=10), work) for _ in range(2)))
        await buckets.sweep(T0 + timedelta(minutes=10), work)
        assert set(seen) == set(ids) and await buckets.pending() == 0
    await with_buckets(test)


async def test_a_grace_keeps_recent_minutes_for_later():
    async def test(buckets: DueBuckets) -> None:
        await buckets.add("closed", T0)
        handed: list[list[str]] = []
        await buckets.sweep(T0 + timedelta(minutes=1), recording(handed))
        assert handed == []
        await buckets.sweep(T0 + timedelta(minutes=3), recording(handed))
        assert handed == [["closed"]]
    await with_buckets(test, grace=timedelta(minutes=2))
