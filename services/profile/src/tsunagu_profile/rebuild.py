"""Rebuild the profiles search index from the store: `python -m tsunagu_profile.rebuild`
(or `tsunagu search rebuild profiles`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.projection import rebuild_from_store

from tsunagu_profile.adapters.repository import PROFILES
from tsunagu_profile.bootstrap import open_projection
from tsunagu_profile.config import ProfileSettings


async def rebuild(settings: ProfileSettings) -> int:
    """Drop the index, fill it from every stored profile; the number of documents written."""
    return await rebuild_from_store(settings, outbox_collections=[PROFILES], open_projection=open_projection)


def main() -> None:
    print(f"profiles index rebuilt: {asyncio.run(rebuild(ProfileSettings()))} documents")


if __name__ == "__main__":
    main()
