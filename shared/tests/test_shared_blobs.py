"""Files in the database (tsunagu_shared.blobs) on the real FerretDB of the test stack: bytes come
back exactly at every size around a chunk boundary, a replaced or deleted file leaves no chunk
behind, and two writers of one key leave one whole version."""

import asyncio
import os

import pytest
from pymongo import AsyncMongoClient
from tsunagu_shared.blobs import DatabaseBlobs
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import isolated_settings

CHUNK = 1000


@pytest.fixture
async def db():
    settings = isolated_settings(ServiceSettings)
    client = AsyncMongoClient(settings.mongo_url)
    try:
        yield client[settings.database_name]
    finally:
        await client.drop_database(settings.database_name)
        await client.close()


async def chunk_ids(db) -> list[str]:
    return sorted([d["_id"] async for d in db["test_chunks"].find({}, {"_id": 1})])


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7])
async def test_blobs_round_trip_every_size(db, size):
    blobs = DatabaseBlobs(db, "test", chunk_bytes=CHUNK)
    data = os.urandom(size)
    await blobs.put("k1", data)
    assert await DatabaseBlobs(db, "test", chunk_bytes=CHUNK).get("k1") == data
    assert len(await chunk_ids(db)) == max(1, -(-size // CHUNK))


async def test_blobs_replace_and_delete_leave_no_chunk_behind(db):
    blobs = DatabaseBlobs(db, "test", chunk_bytes=CHUNK)
    assert await blobs.get("missing") is None
    await blobs.put("k1", os.urandom(5 * CHUNK))
    await blobs.put("k1", b"small")
    assert await blobs.get("k1") == b"small"
    (only,) = await chunk_ids(db)
    assert only.startswith("k1:") and only.endswith(":0")
    await blobs.put("k2", b"other")
    await blobs.delete("k1")
    await blobs.delete("k1")  # twice: nothing to do
    assert await blobs.get("k1") is None and await blobs.get("k2") == b"other"
    assert [i.split(":")[0] for i in await chunk_ids(db)] == ["k2"]


async def test_blobs_two_writers_of_one_key_leave_one_whole_version(db):
    blobs = DatabaseBlobs(db, "test", chunk_bytes=CHUNK)
    versions = [bytes([n]) * (4 * CHUNK) for n in range(4)]
    reads = []

    async def read_meanwhile():
        for _ in range(10):
            reads.append(await blobs.get("k"))

    await asyncio.gather(*(blobs.put("k", v) for v in versions), read_meanwhile())
    final = await blobs.get("k")
    assert final in versions
    assert all(r is None or r in versions for r in reads)  # never a mix of two versions
    assert len(await chunk_ids(db)) == 4
