"""Files kept in the service's database, nothing on the pod's disk (docs/settings.md, "Files").

A file is one document naming its current version and length (`<name>_files`, `_id` = the
caller's key) and its bytes in chunks of `CHUNK_BYTES` (`<name>_chunks`, `_id` =
`<key>:<version>:<n>`). Every read is an `_id` lookup: FerretDB 1.24 serves those from its
primary key and decodes the whole collection for any other filter, which is what GridFS's chunk
query (`files_id` and `n`) would do on every download (bench/bench_blobs.py measures both).

Writes are safe against a crash and against two writers of one key: the chunks of a new version
are written first, then the file document is switched to that version, then the chunks of the
version it replaced are deleted. A reader that loses the race with a delete reads the file
document again.
"""

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from bson import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

# Well under a document's 16 MB; a 5 MB attachment is five lookups.
CHUNK_BYTES = 1024 * 1024
READ_ATTEMPTS = 3


class BlobStore(Protocol):
    """Bytes by key (what a service's file adapter offers; DatabaseBlobs, or a test's own)."""

    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...


class BlobCorrupted(Exception):
    """A file document whose chunks are gone although no newer version replaced it."""


@dataclass(frozen=True)
class _Version:
    version: str
    length: int
    chunks: int


class DatabaseBlobs:
    """Bytes by key in two collections of the service's database."""

    def __init__(self, db: AsyncDatabase[Any], name: str, *, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._files = db[f"{name}_files"]
        self._chunks = db[f"{name}_chunks"]
        self._chunk_bytes = chunk_bytes

    @staticmethod
    def _chunk_id(key: str, version: str, n: int) -> str:
        return f"{key}:{version}:{n}"

    async def put(self, key: str, data: bytes) -> None:
        version = uuid.uuid4().hex
        pieces = [data[i:i + self._chunk_bytes] for i in range(0, len(data), self._chunk_bytes)] or [b""]
        for n, piece in enumerate(pieces):
            await self._chunks.insert_one({"_id": self._chunk_id(key, version, n), "data": Binary(piece)})
        replaced = await self._files.find_one_and_replace(
            {"_id": key}, {"_id": key, "version": version, "length": len(data), "chunks": len(pieces)},
            upsert=True, return_document=ReturnDocument.BEFORE,
        )
        if replaced is not None:
            await self._delete_chunks(key, replaced["version"], replaced["chunks"])

    async def get(self, key: str) -> bytes | None:
        """The bytes of `key`, or None when there is no such file."""
        for _ in range(READ_ATTEMPTS):
            current = await self._files.find_one({"_id": key})
            if current is None:
                return None
            data = await self._read(key, _Version(current["version"], current["length"], current["chunks"]))
            if data is not None:
                return data
        raise BlobCorrupted(f"file {key!r} lost its chunks")

    async def _read(self, key: str, version: _Version) -> bytes | None:
        parts = []
        for n in range(version.chunks):
            chunk = await self._chunks.find_one({"_id": self._chunk_id(key, version.version, n)})
            if chunk is None:  # replaced (or deleted) while we read
                return None
            parts.append(bytes(chunk["data"]))
        data = b"".join(parts)
        if len(data) != version.length:
            return None
        return data

    async def delete(self, key: str) -> None:
        removed = await self._files.find_one_and_delete({"_id": key})
        if removed is not None:
            await self._delete_chunks(key, removed["version"], removed["chunks"])

    async def _delete_chunks(self, key: str, version: str, chunks: int) -> None:
        for n in range(chunks):
            await self._chunks.delete_one({"_id": self._chunk_id(key, version, n)})
