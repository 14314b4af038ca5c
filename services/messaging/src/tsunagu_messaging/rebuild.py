"""Rebuild the threads search index from the store: `python -m tsunagu_messaging.rebuild`
(or `tsunagu search rebuild threads`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.projection import rebuild_from_store

from tsunagu_messaging.bootstrap import OUTBOX_COLLECTIONS, open_projection
from tsunagu_messaging.config import MessagingSettings


async def rebuild(settings: MessagingSettings) -> int:
    """Drop the index, fill it from every stored thread; the number of documents written."""
    return await rebuild_from_store(settings, outbox_collections=OUTBOX_COLLECTIONS, open_projection=open_projection)


def main() -> None:
    print(f"threads index rebuilt: {asyncio.run(rebuild(MessagingSettings()))} documents")


if __name__ == "__main__":
    main()
