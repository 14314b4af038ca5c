"""RSS of the services not covered by another benchmark, at rest (started, Kafka side up)."""

import asyncio

import httpx
from common import Figure, rss_mib, service
from tsunagu_events.config import EventsSettings
from tsunagu_messaging.config import MessagingSettings


async def run() -> list[Figure]:
    figures = []
    for name, settings_cls in (("messaging", MessagingSettings), ("events", EventsSettings)):
        process, _ = service(name, settings_cls)
        await process.start()
        try:
            async with httpx.AsyncClient(base_url=process.url) as client:
                for _ in range(300):  # at rest = ready (database and Kafka side up) and idle
                    if (await client.get("/readyz")).status_code == 200:
                        break
                    await asyncio.sleep(0.2)
            figures.append(Figure("memory", f"{name} RSS at rest", "MiB", rss_mib(process.process.pid)))
        finally:
            process.stop()
    return figures
