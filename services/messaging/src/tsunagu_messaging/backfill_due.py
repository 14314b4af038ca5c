"""List every open offer in its lapse bucket, once after upgrading to due buckets:
`python -m tsunagu_messaging.backfill_due` (safe to run twice; docs/search.md, "Upgrading")."""

import asyncio

from tsunagu_shared.due import DueBuckets
from tsunagu_shared.runtime import Infrastructure

from tsunagu_messaging.adapters.records import MongoOfferRepository
from tsunagu_messaging.bootstrap import OUTBOX_COLLECTIONS
from tsunagu_messaging.config import MessagingSettings


async def backfill(settings: MessagingSettings) -> int:
    """The number of open offers listed (one pass over the offers collection)."""
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    lapses, listed = DueBuckets(infra.db, "offer-lapse"), 0
    try:
        async for offer in MongoOfferRepository(infra.db).every_offer():
            if offer.status == "open" and offer.lapsed_at is None:
                await lapses.add(offer.offer_id, offer.respond_by)
                listed += 1
    finally:
        await infra.stop()
    return listed


def main() -> None:
    print(f"open offers listed for lapse: {asyncio.run(backfill(MessagingSettings()))}")


if __name__ == "__main__":
    main()
