"""Rebuild the events search index from the store: `python -m tsunagu_events.rebuild`
(or `tsunagu search rebuild events`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.projection import rebuild_from_store

from tsunagu_events.bootstrap import OUTBOX_COLLECTIONS, open_projection
from tsunagu_events.config import EventsSettings


async def rebuild(settings: EventsSettings) -> int:
    """Drop the index, fill it from every stored event; the number of documents written."""
    return await rebuild_from_store(settings, outbox_collections=OUTBOX_COLLECTIONS, open_projection=open_projection)


def main() -> None:
    print(f"events index rebuilt: {asyncio.run(rebuild(EventsSettings()))} documents")


if __name__ == "__main__":
    main()
