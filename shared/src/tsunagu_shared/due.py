"""Timed work found by its due time, never by searching a collection: due buckets addressed by `_id`.

When a piece of timed work is created (a scout that expires in 30 days, an offer that lapses at its
deadline), its id is added to the bucket of the minute it falls due: one document
`_id = "<kind>:2026-11-29T10:05"` listing the ids due in that minute. A sweep keeps a cursor (the
first bucket not finished, `_id = "<kind>:cursor"`) and reads the buckets from it up to now, each by
`_id`: what it costs depends on the minutes since the last sweep and the work due in them, never
on how many objects the collection holds (FerretDB decodes the whole collection for any filter
other than `_id`).

Crash-safe and idempotent, with every step a single-document write:
- `add` moves the cursor back first (`$min`), then adds the id (`$addToSet`): a crash between the
  two leaves at worst a cursor that reads an empty bucket. Callers add before they write the object,
  so an id may name nothing (skipped), never the reverse.
- the sweep hands a bucket's ids to the work, which says which are finished; only those are pulled
  from the bucket (`$pullAll`), an emptied bucket is deleted (only if still empty), and the cursor
  moves on with a compare-and-set, so an `add` into a past minute meanwhile is never lost. The work
  must be idempotent: a crash before the pull hands the same ids again, and two replicas sweeping
  at once both see them.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

DUE_BUCKETS = "due_buckets"
KEY_FORMAT = "%Y-%m-%dT%H:%M"
# how many minute buckets one sweep walks at most (a day; after a longer pause the next sweeps go on)
MAX_BUCKETS_PER_SWEEP = 1440

# the work: given ids due in one bucket, do what is due and return the ids that are finished
Work = Callable[[list[str]], Awaitable[list[str]]]


def bucket_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime(KEY_FORMAT)


def _next(key: str) -> str:
    return (datetime.strptime(key, KEY_FORMAT) + timedelta(minutes=1)).strftime(KEY_FORMAT)


class DueBuckets:
    def __init__(self, db: AsyncDatabase[Any], kind: str, *, grace: timedelta = timedelta(0)) -> None:
        """`grace`: how long after its minute a bucket is first swept (work whose object is written
        just after `add` waits that long)."""
        self._buckets = db[DUE_BUCKETS]
        self.kind = kind
        self._grace = grace
        self._cursor_id = f"{kind}:cursor"

    def _bucket_id(self, key: str) -> str:
        return f"{self.kind}:{key}"

    async def add(self, item_id: str, due_at: datetime) -> None:
        """List `item_id` as due at `due_at` (adding it twice changes nothing)."""
        key = bucket_key(due_at)
        await self._buckets.update_one({"_id": self._cursor_id}, {"$min": {"next": key}}, upsert=True)
        await self._buckets.update_one({"_id": self._bucket_id(key)}, {"$addToSet": {"ids": item_id}}, upsert=True)

    async def sweep(self, now: datetime, work: Work, *, max_buckets: int = MAX_BUCKETS_PER_SWEEP) -> int:
        """Hand every bucket due by `now` to `work`, oldest first; the number of ids finished."""
        state = await self._buckets.find_one({"_id": self._cursor_id})
        if state is None:
            return 0
        key, last = state["next"], bucket_key(now - self._grace)
        finished = 0
        for _ in range(max_buckets):
            if key > last:
                break
            bucket = await self._buckets.find_one({"_id": self._bucket_id(key)})
            if bucket is not None:
                ids = list(bucket.get("ids", []))
                done = await work(ids) if ids else []
                if done:
                    await self._buckets.update_one({"_id": self._bucket_id(key)}, {"$pullAll": {"ids": done}})
                    finished += len(done)
                emptied = await self._buckets.delete_one({"_id": self._bucket_id(key), "ids": {"$size": 0}})
                if emptied.deleted_count == 0:
                    break  # work left in it (not due yet, or added meanwhile): the cursor stays here
            moved = await self._buckets.update_one({"_id": self._cursor_id, "next": key},
                                                   {"$set": {"next": _next(key)}})
            if moved.modified_count == 0:
                break  # an add moved the cursor back: the next sweep starts there
            key = _next(key)
        return finished

    async def pending(self) -> int:
        """How many ids wait in buckets (tests and operators; scans this kind's buckets)."""
        found = self._buckets.find({"_id": {"$regex": f"^{self.kind}:[0-9]"}}, {"ids": 1})
        return sum([len(d.get("ids", [])) async for d in found])
