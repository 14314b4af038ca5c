"""A list kept in the document store and read by `_id` only: entries `<name>#0`, `<name>#1`, …

What a person or a thing has (her registrations, a thread's messages, her threads) is otherwise
found with a filter such as `{"candidate_id": …}`, which FerretDB 1.x answers by decoding the whole
collection, a cost that grows with the season. Here each entry is taken by an insert on its
`_id` (the only write FerretDB makes atomic under concurrency), trying numbers upward from a
hint: numbers are taken without gaps, so the list is read up to the first missing number.
What it costs follows the list's length, never the collection's size.

Entries are never removed one by one (that would open a gap); `drop` removes the whole list.
The hint (`<name>#next`) may be stale (a crash, a lost race): it only saves tries.
"""

import asyncio
import itertools
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

READ_AT_ONCE = 50  # entries read in one round of concurrent lookups


class NumberedList:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], name: str) -> None:
        self._collection = collection
        self._name = name

    def _entry(self, n: int) -> str:
        return f"{self._name}#{n}"

    async def append(self, value: Any, *, once: bool = False) -> int:
        """Add `value` at the first free number and return it; with `once`, a value already
        listed is not added again (its number is returned)."""
        start = 0 if once else await self._hint()
        for n in itertools.count(start):
            if once:
                found = await self._collection.find_one({"_id": self._entry(n)})
                if found is not None:
                    if found["v"] == value:
                        return n
                    continue
            try:
                await self._collection.insert_one({"_id": self._entry(n), "v": value})
            except DuplicateKeyError:
                continue  # taken meanwhile: the next number
            await self._collection.update_one({"_id": f"{self._name}#next"}, {"$max": {"n": n + 1}}, upsert=True)
            return n
        raise AssertionError("unreachable")

    async def _hint(self) -> int:
        """Where to start trying: the hint, when the entry before it exists (a drop cut short
        leaves a hint past the end, and an entry there would stand after a gap)."""
        hint = await self._collection.find_one({"_id": f"{self._name}#next"})
        n = hint["n"] if hint else 0
        if n and await self._collection.find_one({"_id": self._entry(n - 1)}, {"_id": 1}) is None:
            return 0
        return n

    async def read(self) -> list[Any]:
        """Every value, in the order the numbers were taken."""
        values: list[Any] = []
        for start in itertools.count(0, READ_AT_ONCE):
            found = await asyncio.gather(*(self._collection.find_one({"_id": self._entry(n)})
                                           for n in range(start, start + READ_AT_ONCE)))
            for entry in found:
                if entry is None:
                    return values
                values.append(entry["v"])
        raise AssertionError("unreachable")

    async def drop(self) -> None:
        """Remove the list, last entry first: a drop cut short leaves a shorter list, never a gap."""
        for n in reversed(range(len(await self.read()))):
            await self._collection.delete_one({"_id": self._entry(n)})
        await self._collection.delete_one({"_id": f"{self._name}#next"})
