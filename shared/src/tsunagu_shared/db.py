"""Database access: one AsyncMongoClient per process (pymongo's async API).

Only what both MongoDB and FerretDB 1.x support is used: single-document
atomic writes, no multi-document transactions, no change streams.
"""

import zlib
from datetime import UTC
from typing import Any

import bson
from bson import Binary
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tsunagu_shared import store_commands

_AWARE: CodecOptions[Any] = CodecOptions(tz_aware=True, tzinfo=UTC)


def connect(url: str, *, timeout_ms: int = 3000) -> AsyncMongoClient:
    """A client that fails fast when the database is unreachable (the API then answers 503)."""
    return AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        event_listeners=store_commands.listeners(),
    )


async def ping(db: AsyncDatabase) -> None:
    await db.command("ping")


def packed(value: dict[str, Any]) -> Binary:
    """A large nested value stored as one compressed BSON blob. FerretDB's cost of a write or
    read grows with the number of fields it converts, not with bytes: a 1,000-entry blob that
    is only ever read and written whole (a chunk of import rows, an insert's events) costs a
    fraction of the same entries as fields. Not queryable inside; read back with `unpacked`."""
    return Binary(zlib.compress(bson.encode(value), 1))


def unpacked(blob: bytes) -> dict[str, Any]:
    return bson.decode(zlib.decompress(blob), codec_options=_AWARE)
