"""The search engine's index (tsunagu_shared.search) on the test stack's OpenSearch."""

from tsunagu_shared.search import IndexSpec, SearchIndex, Versioned, connect
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import isolated_settings

# the engine refreshes this index by itself only after a minute: until then a write is searchable only
# once a write that waits, or an explicit refresh, made it so
SPEC = IndexSpec(name="readers", mappings={"properties": {"state": {"type": "keyword"}}}, refresh_interval="60s")


async def states(index: SearchIndex) -> list[str]:
    hits = await index.search({"query": {"match_all": {}}})
    return [hit["_source"]["state"] for hit in hits]


async def test_a_write_that_waits_is_searchable_even_when_the_projector_wrote_that_version_first():
    settings = isolated_settings(ServiceSettings)
    client = connect(settings)
    index = SearchIndex(client, SPEC, settings)
    try:
        await index.ensure()
        await index.put_many([Versioned("sc-1", 1, {"state": "awaiting"})])
        await index.refresh()
        assert await states(index) == ["awaiting"]

        # the projector's write of version 2 lands first, without waiting for a refresh ...
        assert await index.put_many([Versioned("sc-1", 2, {"state": "declined"})]) == 1
        assert await states(index) == ["awaiting"], "not searchable yet: nothing refreshed the index"
        # ... then the request's own write of the same version is skipped, and must still wait
        assert await index.put_many([Versioned("sc-1", 2, {"state": "declined"})], refresh="wait_for") == 0
        assert await states(index) == ["declined"]
    finally:
        await index.drop()
        await client.close()
