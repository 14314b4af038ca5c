"""One way to fill a search index from a service's store and events (docs/architecture.md, "The read side").

A projection never applies an event's changes. An event only says which objects to look at
again; the projection reads each of them by `_id` from the store and writes what the store holds
now, with an external version that grows with every change of the object. The index keeps a
document only when its version is higher, so redelivery, reordering, a replayed topic, the service
writing its own change at once (read-your-write) and a rebuild running beside the projector all
end in the store's state.

A service subclasses `Projection` with `subjects` (the ids an event names), `documents` (the
versioned documents of ids, read from its store) and `stored` (every document, for a rebuild),
registers `on_events` as a projector (`Infrastructure.add_projector`), and calls `project` after a
write its caller reads at once.
"""

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.kafka.consumer import TransientError
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.search import SEARCH_UNAVAILABLE, IndexMissing, SearchIndex, Versioned
from tsunagu_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)


class Projection:
    index: SearchIndex

    async def subjects(self, envelope: Envelope) -> Iterable[str]:
        """The ids of the objects an event changed (none: the event does not concern this index)."""
        raise NotImplementedError

    async def documents(self, ids: list[str]) -> list[Versioned]:
        """The documents of these objects as the store holds them now (an id the store does not
        know may be left out, or give a marker that outranks every version)."""
        raise NotImplementedError

    async def on_events(self, envelopes: list[Envelope]) -> None:
        """A projector's batch: every object named, read once, written in one bulk request."""
        ids: dict[str, None] = {}
        with unavailable_is_transient():  # finding the subjects may ask the index (a pair's scouts)
            for envelope in envelopes:
                ids.update(dict.fromkeys(await self.subjects(envelope)))
        if ids:
            await self.write(await self.documents(list(ids)))

    async def project(self, ids: Iterable[str], *, refresh: str | None = None) -> None:
        """Write these objects now (after a write of the service; `refresh="wait_for"` when its
        caller reads the list next). Raises TransientError while the engine is away."""
        ids = list(dict.fromkeys(ids))
        if ids:
            await self.write(await self.documents(ids), refresh=refresh)

    async def project_quietly(self, ids: Iterable[str], *, refresh: str | None = None) -> None:
        """`project` for a request path: while the engine is away the request still succeeds,
        and the projector writes the change when the engine is back."""
        try:
            await self.project(ids, refresh=refresh)
        except TransientError as exc:
            log.warning("projection_deferred_to_projector", index=self.index.name, error=str(exc))

    async def write(self, documents: list[Versioned], *, refresh: str | None = None) -> None:
        if not documents:
            return
        with unavailable_is_transient():
            try:
                await self.index.put_many(documents, refresh=refresh)
            except IndexMissing:  # dropped meanwhile and created again: write into the new one
                await self.index.put_many(documents, refresh=refresh)

    def stored(self) -> AsyncIterator[list[Versioned]]:
        """Every document of the store, in batches (what a rebuild writes)."""
        raise NotImplementedError

    async def rebuild(self) -> int:
        """Drop the index and fill it from the store's batches of documents (`stored`), in bulk; the
        number written. The projector may go on meanwhile: versions keep whichever write is newer."""
        await self.index.drop()
        await self.index.ensure()
        written = 0
        async for batch in self.stored():
            if batch:
                written += await self.index.put_many(batch)
        await self.index.refresh()
        log.info("index_rebuilt", index=self.index.name, written=written)
        return written


async def rebuild_from_store(settings: ServiceSettings, *, outbox_collections: list[str],
                             open_projection: Callable[[Infrastructure, Any], "Projection"]) -> int:
    """What each service's `python -m tsunagu_<service>.rebuild` (and `tsunagu search rebuild`)
    runs: the service's store and index from its settings, the index rebuilt, the clients closed."""
    infra = Infrastructure.open(settings, outbox_collections=outbox_collections)
    try:
        return await open_projection(infra, settings).rebuild()
    finally:
        await infra.stop()


@contextmanager
def unavailable_is_transient() -> Iterator[None]:
    """The engine away is a TransientError: a consumer retries without limit, its offsets wait."""
    try:
        yield
    except SEARCH_UNAVAILABLE as exc:
        raise TransientError(f"search engine unavailable: {exc}") from exc


async def batches(items: AsyncIterator[Any], size: int) -> AsyncIterator[list[Any]]:
    """Group a stream of stored objects into lists of `size` (the last one shorter)."""
    batch: list[Any] = []
    async for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
