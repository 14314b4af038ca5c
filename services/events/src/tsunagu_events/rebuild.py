"""Rebuild the events search index from the store: `python -m tsunagu_events.rebuild`
(or `tsunagu search rebuild events`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.runtime import Infrastructure

from tsunagu_events.bootstrap import OUTBOX_COLLECTIONS, open_projection
from tsunagu_events.config import EventsSettings


async def rebuild(settings: EventsSettings) -> int:
    """Drop the index, fill it from every stored event; the number of documents written."""
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    try:
        return await open_projection(infra, settings).rebuild()
    finally:
        await infra.stop()


def main() -> None:
    written = asyncio.run(rebuild(EventsSettings()))
    print(f"events index rebuilt: {written} documents")


if __name__ == "__main__":
    main()
