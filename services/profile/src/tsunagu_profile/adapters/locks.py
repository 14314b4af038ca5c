"""One writer at a time per profile document, inside this process.

FerretDB 1.24 applies an update as read-modify-write without isolation: two
concurrent updates of one document can lose one of them (measured: about one
in four when a student's write meets the outbox relay's removal of a published
event — the student's change and its event vanished). MongoDB does not need
this; on FerretDB it makes the profile writes and the relay of one process
take turns on each document.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from tsunagu_shared.outbox import OutboxRelay


class DocumentLocks:
    """An asyncio lock per document id, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Any, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class TurnTakingOutboxRelay(OutboxRelay):
    """The shared relay, flushing a document only while holding that document's lock."""

    def __init__(self, *, locks: DocumentLocks, **kwargs) -> None:
        super().__init__(**kwargs)
        self._locks = locks

    async def _flush_document(self, collection: AsyncCollection, doc: dict[str, Any]) -> int:
        async with self._locks.hold(doc["_id"]):
            return await super()._flush_document(collection, doc)
