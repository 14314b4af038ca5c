"""Files in the database on FerretDB: a download from GridFS (pymongo's AsyncGridFSBucket) and from
tsunagu_shared.blobs (chunks addressed by `_id`), each with BENCH_BLOB_FEW (10) and then
BENCH_BLOB_FILES (300) files of BENCH_BLOB_KIB (64) KiB stored. GridFS finds a file's chunks by
`files_id` and `n`, which FerretDB 1.24 answers by decoding the whole chunks collection: its
download time grows with the number of files stored; an `_id` lookup does not
(docs/settings.md, "Files"). Baseline: the same store with few files, in the same run.
"""

import os
import time
import uuid

from common import Figure, env_int, percentile
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from tsunagu_shared.blobs import DatabaseBlobs
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import isolated_settings

READS = 20


async def _download_ms(read, keys: list) -> float:
    """Median milliseconds of a download of READS keys spread over what is stored."""
    timings = []
    for key in keys[:: max(1, len(keys) // READS)][:READS]:
        started = time.perf_counter()
        data = await read(key)
        timings.append((time.perf_counter() - started) * 1000)
        assert data, key
    return percentile(timings, 50)


async def run() -> list[Figure]:
    few, many, kib = env_int("BENCH_BLOB_FEW", 10), env_int("BENCH_BLOB_FILES", 300), env_int("BENCH_BLOB_KIB", 64)
    settings = isolated_settings(ServiceSettings)
    client = AsyncMongoClient(settings.mongo_url)
    db = client[settings.database_name]
    payload = os.urandom(kib * 1024)
    try:
        bucket, blobs = AsyncGridFSBucket(db, bucket_name="bench"), DatabaseBlobs(db, "bench")
        grid_ids, blob_keys = [], []

        async def fill(up_to: int) -> None:
            while len(blob_keys) < up_to:
                grid_ids.append(await bucket.upload_from_stream(uuid.uuid4().hex, payload))
                key = uuid.uuid4().hex
                await blobs.put(key, payload)
                blob_keys.append(key)

        async def grid_read(file_id):
            stream = await bucket.open_download_stream(file_id)
            return await stream.read()

        await fill(few)
        grid_few, blob_few = await _download_ms(grid_read, grid_ids), await _download_ms(blobs.get, blob_keys)
        await fill(many)
        grid_many, blob_many = await _download_ms(grid_read, grid_ids), await _download_ms(blobs.get, blob_keys)
    finally:
        await client.drop_database(settings.database_name)
        await client.close()
    name = "files in the database"
    return [
        Figure(name, f"GridFS download, {many} files of {kib} KiB stored", "ms (median)", grid_many,
               grid_few, f"GridFS download, {few} files stored"),
        Figure(name, f"_id chunks download, {many} files of {kib} KiB stored", "ms (median)", blob_many,
               blob_few, f"_id chunks download, {few} files stored"),
        Figure(name, f"_id chunks vs GridFS download, {many} files stored", "ms (median)", blob_many,
               grid_many, f"GridFS download, {many} files stored"),
    ]
