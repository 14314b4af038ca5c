"""The compare-and-set retry and the settable clock, on their own."""

from datetime import UTC, datetime, timedelta

import pytest
from tsunagu_shared.clock import SYSTEM_CLOCK, SettableClock
from tsunagu_shared.conflicts import WriteConflict, retry_on_conflict


class Busy(Exception):
    pass


class Lost(WriteConflict):
    pass


async def test_an_attempt_that_lost_a_race_is_decided_again():
    tries: list[int] = []

    async def attempt() -> str:
        tries.append(len(tries))
        if len(tries) < 3:
            raise Lost("changed meanwhile")
        return "stored"

    assert await retry_on_conflict(attempt, busy=Busy) == "stored"
    assert len(tries) == 3


async def test_after_the_last_lost_race_the_caller_is_told_busy_and_other_errors_pass_at_once():
    tries: list[int] = []

    async def always_lost() -> None:
        tries.append(1)
        raise WriteConflict()

    with pytest.raises(Busy):
        await retry_on_conflict(always_lost, busy=Busy, attempts=5)
    assert len(tries) == 5

    async def refused() -> None:
        tries.append(1)
        raise ValueError("a rule refused it")

    with pytest.raises(ValueError):
        await retry_on_conflict(refused, busy=Busy)
    assert len(tries) == 6


def test_a_frozen_clock_stands_still_until_moved_and_a_flowing_one_keeps_going():
    start = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
    frozen = SettableClock(start, frozen=True)
    assert frozen.now() == start == frozen.now()
    frozen.advance(days=31)
    assert frozen.now() == start + timedelta(days=31)

    flowing = SettableClock(start)
    first, second = flowing.now(), flowing.now()
    assert start <= first <= second < start + timedelta(seconds=5)
    flowing.set(start + timedelta(days=1))
    assert flowing.now() - (start + timedelta(days=1)) < timedelta(seconds=5)
    assert abs(SYSTEM_CLOCK.now() - datetime.now(UTC)) < timedelta(seconds=5)
