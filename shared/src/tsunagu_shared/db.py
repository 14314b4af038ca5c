"""Database access: one AsyncMongoClient per process (pymongo's async API).

Only what both MongoDB and FerretDB 1.x support is used: single-document
atomic writes, no multi-document transactions, no change streams.
"""

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase


def connect(url: str, *, timeout_ms: int = 3000) -> AsyncMongoClient:
    """A client that fails fast when the database is unreachable (the API then answers 503)."""
    return AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
    )


async def ping(db: AsyncDatabase) -> None:
    await db.command("ping")
