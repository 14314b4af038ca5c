"""Micro-benchmark (issue #11): how should notify's repository.save change a recipient's document?

    .cache/venv/bin/python bench/micro_notify_save.py   # against TSUNAGU_MONGO_URL (the bench stack)

Two ways, on the same FerretDB, on a collection of BENCH_SAVE_DOCS recipient documents:
- "version claim": insert `<recipient>#<v+1>` into recipient_versions, then update by `{_id}`
  (what repository.save does: two writes, both by primary key);
- "compare-and-set": one `update_one({_id, version: v}, ...)` (cheap only if FerretDB narrows
  a filter with an `_id` equality by `_id`, which the patched build does).
Each runs BENCH_SAVE_UPDATES saves, one after another and then with BENCH_SAVE_CONCURRENCY writers
on different recipients; it prints saves/s. Not part of `make bench` (it is a design question).
"""

import asyncio
import os
import time
import uuid
from datetime import datetime, timezone

from pymongo import AsyncMongoClient

DOCS = int(os.environ.get("BENCH_SAVE_DOCS", 5000))
UPDATES = int(os.environ.get("BENCH_SAVE_UPDATES", 200))
CONCURRENCY = int(os.environ.get("BENCH_SAVE_CONCURRENCY", 8))


def state(i: int, version: int) -> dict:
    """A recipient document about the size of a real one (state, a few decided markers)."""
    return {"state": {"recipient_id": f"r{i}", "timezone": "Asia/Tokyo", "locale": "ja",
                      "channels": {"email": {"address": f"r{i}@example.jp", "verified": True}},
                      "sent": [{"at": datetime.now(timezone.utc), "category": "scout"}] * 5,
                      "blocked": []},
            "decided": {f"intent_{k}": {"verdict": "send", "attempt": 0} for k in range(20)},
            "version": version}


async def claim_then_write(db, i: int, version: int) -> None:
    await db.recipient_versions.insert_one({"_id": f"r{i}#{version + 1}", "at": datetime.now(timezone.utc)})
    await db.recipients.update_one({"_id": f"r{i}"}, {"$set": {"state.locale": "en", "version": version + 1}})


async def compare_and_set(db, i: int, version: int) -> None:
    result = await db.recipients.update_one({"_id": f"r{i}", "version": version},
                                            {"$set": {"state.locale": "en", "version": version + 1}})
    assert result.modified_count == 1, "compare-and-set refused an unchanged document"


async def timed(db, way, concurrency: int) -> float:
    versions = {i: (await db.recipients.find_one({"_id": f"r{i}"}, {"version": 1}))["version"]
                for i in range(UPDATES)}
    queue = list(range(UPDATES))

    async def writer() -> None:
        while queue:
            i = queue.pop()
            await way(db, i, versions[i])

    started = time.monotonic()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    return UPDATES / (time.monotonic() - started)


async def main() -> None:
    client = AsyncMongoClient(os.environ.get("TSUNAGU_MONGO_URL", "mongodb://127.0.0.1:57037/"))
    db = client[f"bench_save_{uuid.uuid4().hex[:8]}"]
    try:
        await db.recipients.insert_many([{"_id": f"r{i}", **state(i, 1)} for i in range(DOCS)])
        await db.recipient_versions.insert_one({"_id": "warm"})
        print(f"{DOCS} recipient documents, {UPDATES} saves per run")
        for concurrency in (1, CONCURRENCY):
            for name, way in (("version claim (2 writes)", claim_then_write), ("compare-and-set (1 write)", compare_and_set)):
                rate = await timed(db, way, concurrency)
                print(f"  {name:28s} {concurrency} writer(s): {rate:8.1f} saves/s", flush=True)
    finally:
        await client.drop_database(db.name)
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
