"""The read side's search engine (OpenSearch): a client from settings, an index created with
its mappings, versioned writes (one at a time or in bulk), queries.

Documents are written with external versions (`version_type=external`): the engine keeps a
document only if its version is higher than the one it holds, so a replayed or late event
can never bring back older data. A write refused for that reason is not an error.
"""

import base64
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError, RequestError
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.helpers import async_bulk

from tsunagu_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

class IndexMissing(Exception):
    """The index is not there (dropped for a rebuild, or never created while the engine was away)."""


BULK_TIMEOUT_SECONDS = 120.0

# What a caller catches to answer 503 (ConnectionTimeout is a kind of ConnectionError).
SEARCH_UNAVAILABLE: tuple[type[Exception], ...] = (SearchConnectionError, IndexMissing)


def connect(settings: ServiceSettings) -> AsyncOpenSearch:
    """A client of the settings' OpenSearch (nothing is sent until it is used)."""
    for name in ("opensearch", "opensearchpy.trace"):  # a line per request, and each as a curl command
        logging.getLogger(name).setLevel(logging.WARNING)
    tls: dict[str, Any] = {"ca_certs": settings.opensearch_ca_file} if settings.opensearch_ca_file else {}
    # credentials, if any, travel in the URL (https://user:password@host:9200, from a Secret)
    return AsyncOpenSearch(hosts=[settings.opensearch_url], timeout=settings.search_timeout_seconds,
                           max_retries=0, retry_on_timeout=False, **tls)


@dataclass(frozen=True)
class IndexSpec:
    """An index's name (without the settings' prefix), its analysis settings and mappings."""

    name: str
    mappings: dict[str, Any]
    analysis: dict[str, Any] = field(default_factory=dict)
    # how soon a write becomes searchable; the engine's default is 1 s
    refresh_interval: str = "1s"


@dataclass(frozen=True)
class Versioned:
    """One document to write: kept only if `version` is above what the index holds for `id`."""

    id: str
    version: int
    source: dict[str, Any]


class SearchIndex:
    def __init__(self, client: AsyncOpenSearch, spec: IndexSpec, settings: ServiceSettings) -> None:
        self._client = client
        self._spec = spec
        self._replicas = settings.search_replicas
        self.name = f"{settings.search_index_prefix}{spec.name}"

    async def ensure(self) -> bool:
        """Create the index with its mappings unless it exists; True when it was created."""
        body = {
            "settings": {"index": {"number_of_shards": 1, "number_of_replicas": self._replicas,
                                   "refresh_interval": self._spec.refresh_interval},
                         **({"analysis": self._spec.analysis} if self._spec.analysis else {})},
            "mappings": self._spec.mappings,
        }
        try:
            await self._client.indices.create(index=self.name, body=body)
        except RequestError as exc:
            if exc.error == "resource_already_exists_exception":
                return False
            raise
        return True

    async def ensure_if_reachable(self) -> None:
        """At start: create the index if the engine answers. While it is away writes go on, lists
        answer 503, and the first write or query once it is back creates the index."""
        try:
            await self.ensure()
        except SEARCH_UNAVAILABLE as exc:
            log.warning("search_index_not_created", index=self.name, error=str(exc))

    async def drop(self) -> None:
        try:
            await self._client.indices.delete(index=self.name)
        except NotFoundError:
            pass

    async def put(self, document: Versioned) -> bool:
        """Write one document; False when the index already holds this version or a later one."""
        for attempt in (1, 2):
            try:
                await self._client.index(index=self.name, id=document.id, body=document.source,
                                         version=document.version, version_type="external")
            except ConflictError:
                return False
            except NotFoundError:  # dropped meanwhile (a rebuild): created again with its mappings
                if attempt == 2:
                    raise
                await self.ensure()
                continue
            return True
        return False

    async def put_many(self, documents: Iterable[Versioned], *, chunk_size: int = 1000,
                       refresh: str | None = None) -> int:
        """Write in bulk; the number written (documents already there in a later version are skipped).
        `refresh="wait_for"` returns once the writes are searchable (a person reading her own write)."""
        actions = ({"_index": self.name, "_id": d.id, "_version": d.version, "_version_type": "external",
                    "_source": d.source} for d in documents)
        extra: dict[str, Any] = {"refresh": refresh} if refresh else {}
        # a bulk request of a thousand documents may take far longer than a query (a cold or busy
        # engine took over 5 s here); 429s (a full write queue) are retried with backoff
        try:
            written, errors = await async_bulk(self._client, actions, chunk_size=chunk_size, raise_on_error=False,
                                               max_retries=3, request_timeout=BULK_TIMEOUT_SECONDS, **extra)
        except NotFoundError as exc:  # dropped meanwhile (a rebuild): created again, then written
            if not await self.ensure():
                raise
            raise IndexMissing(self.name) from exc
        # with raise_on_error off, the errors come as a list of items
        items = cast(list[dict[str, Any]], errors)
        already_there = [e for e in items if next(iter(e.values())).get("status") == 409]
        failed = [e for e in items if next(iter(e.values())).get("status") != 409]
        if failed and all(next(iter(e.values())).get("status") == 404 for e in failed):
            await self.ensure()  # dropped meanwhile: the caller writes again into the new index
            raise IndexMissing(self.name)
        if failed:
            raise RuntimeError(f"{len(failed)} documents not written to {self.name}, e.g. {failed[0]}")
        if already_there and refresh == "wait_for":
            # the projector wrote that version first, without waiting: a skipped write waits for
            # nothing, so make the index searchable now or her next list may miss her own change
            await self.refresh()
        return written

    async def search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The hits of a query (each with `_id`, `_source` and, when sorted, `sort`)."""
        try:
            answer = await self._client.search(index=self.name, body=body)
        except NotFoundError as exc:
            await self.ensure()  # the next query finds it, and the projector fills it
            raise IndexMissing(self.name) from exc
        return answer["hits"]["hits"]

    async def page(self, kind: str, *, query: dict[str, Any], sort: list[dict[str, Any]], cursor: str | None,
                   limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list (keyset pagination): the hits of `query` in `sort` order (its last key
        must be unique, an id) after `cursor`, and the cursor of the next page, None on the last.
        BadCursor for a cursor not given by this list (`kind`)."""
        body: dict[str, Any] = {"size": limit + 1, "query": query, "sort": sort, "track_total_hits": False}
        if cursor:
            after = decode_cursor(kind, cursor)
            if len(after) != len(sort):
                raise BadCursor("not a cursor returned by this list")
            body["search_after"] = after
        hits = await self.search(body)
        if len(hits) <= limit:
            return hits, None
        return hits[:limit], encode_cursor(kind, hits[limit - 1]["sort"])

    async def ids(self, query: dict[str, Any], *, id_field: str, page: int = 1000) -> list[str]:
        """Every document id matching a query (a person's scouts, a pair's), in pages ordered by
        `id_field` (a keyword field holding the id: sorting on `_id` itself is deprecated)."""
        found: list[str] = []
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": page, "query": query, "_source": False, "sort": [{id_field: "asc"}],
                                    "track_total_hits": False, **({"search_after": after} if after else {})}
            hits = await self.search(body)
            found += [hit["_id"] for hit in hits]
            if len(hits) < page:
                return found
            after = hits[-1]["sort"]

    async def refresh(self) -> None:
        """Make every write so far searchable now (rebuilds and tests; writes otherwise wait for the interval)."""
        await self._client.indices.refresh(index=self.name)

    async def count(self) -> int:
        return (await self._client.count(index=self.name))["count"]


class BadCursor(ValueError):
    """A page cursor a client made up or took from another list."""


def encode_cursor(kind: str, values: list[Any]) -> str:
    """An opaque page cursor: the list it belongs to and the sort values of the last item shown."""
    raw = json.dumps({"k": kind, "v": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, token: str) -> list[Any]:
    """The sort values a cursor carries (for `search_after`); BadCursor when it is not one of `kind`."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values = raw["v"]
        if raw["k"] != kind or not isinstance(values, list) or not all(
                isinstance(v, (str, int, float)) for v in values):
            raise ValueError(kind)
    except (ValueError, KeyError, TypeError):
        raise BadCursor("not a cursor returned by this list") from None
    return values
