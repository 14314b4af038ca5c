"""Rebuild the scouts search index from the store: `python -m tsunagu_scout.rebuild`
(or `tsunagu search rebuild scouts`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.runtime import Infrastructure

from tsunagu_scout.bootstrap import OUTBOX_COLLECTIONS, open_projection
from tsunagu_scout.config import ScoutSettings


async def rebuild(settings: ScoutSettings) -> int:
    """Drop the index, fill it from every stored scout; the number of documents written."""
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    try:
        return await open_projection(infra, settings).rebuild()
    finally:
        await infra.stop()


def main() -> None:
    written = asyncio.run(rebuild(ScoutSettings()))
    print(f"scouts index rebuilt: {written} documents")


if __name__ == "__main__":
    main()
