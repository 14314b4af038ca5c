"""Rebuild the profiles search index from the store: `python -m tsunagu_profile.rebuild`
(or `tsunagu search rebuild profiles`). Settings from the environment, as the service's."""

import asyncio

from tsunagu_shared.runtime import Infrastructure

from tsunagu_profile.adapters.repository import PROFILES
from tsunagu_profile.bootstrap import open_projection
from tsunagu_profile.config import ProfileSettings


async def rebuild(settings: ProfileSettings) -> int:
    """Drop the index, fill it from every stored profile; the number of documents written."""
    infra = Infrastructure.open(settings, outbox_collections=[PROFILES])
    try:
        return await open_projection(infra, settings).rebuild()
    finally:
        await infra.stop()


def main() -> None:
    written = asyncio.run(rebuild(ProfileSettings()))
    print(f"profiles index rebuilt: {written} documents")


if __name__ == "__main__":
    main()
