"""Rebuild the scouts search index from the store: `python -m tsunagu_scout.rebuild`
(or `tsunagu search rebuild scouts`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.projection import rebuild_from_store

from tsunagu_scout.bootstrap import OUTBOX_COLLECTIONS, open_projection
from tsunagu_scout.config import ScoutSettings


async def rebuild(settings: ScoutSettings) -> int:
    """Drop the index, fill it from every stored scout; the number of documents written."""
    return await rebuild_from_store(settings, outbox_collections=OUTBOX_COLLECTIONS, open_projection=open_projection)


def main() -> None:
    print(f"scouts index rebuilt: {asyncio.run(rebuild(ScoutSettings()))} documents")


if __name__ == "__main__":
    main()
