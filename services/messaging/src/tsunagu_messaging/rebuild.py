"""Rebuild the threads search index from the store: `python -m tsunagu_messaging.rebuild`
(or `tsunagu search rebuild threads`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.runtime import Infrastructure

from tsunagu_messaging.bootstrap import OUTBOX_COLLECTIONS, open_projection
from tsunagu_messaging.config import MessagingSettings


async def rebuild(settings: MessagingSettings) -> int:
    """Drop the index, fill it from every stored thread; the number of documents written."""
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    try:
        return await open_projection(infra, settings).rebuild()
    finally:
        await infra.stop()


def main() -> None:
    written = asyncio.run(rebuild(MessagingSettings()))
    print(f"threads index rebuilt: {written} documents")


if __name__ == "__main__":
    main()
