"""List every awaiting scout in its expiry bucket, once after upgrading to due buckets:
`python -m tsunagu_scout.backfill_due` (safe to run twice; docs/search.md, "Upgrading")."""

import asyncio

from tsunagu_shared.due import DueBuckets
from tsunagu_shared.runtime import Infrastructure

from tsunagu_scout.adapters.scouts import MongoScouts
from tsunagu_scout.bootstrap import OUTBOX_COLLECTIONS
from tsunagu_scout.config import ScoutSettings


async def backfill(settings: ScoutSettings) -> int:
    """The number of awaiting scouts listed (one pass over the scouts collection)."""
    infra = Infrastructure.open(settings, outbox_collections=OUTBOX_COLLECTIONS)
    expiry, listed = DueBuckets(infra.db, "scout-expiry"), 0
    try:
        async for scout in MongoScouts(infra.db).every_scout(batch_size=1000):
            if scout.state == "awaiting":
                await expiry.add(scout.scout_id, scout.expires_at)
                listed += 1
    finally:
        await infra.stop()
    return listed


def main() -> None:
    print(f"awaiting scouts listed for expiry: {asyncio.run(backfill(ScoutSettings()))}")


if __name__ == "__main__":
    main()
