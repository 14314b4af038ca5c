"""The projector: notify.policy-effects into the database views, in batches.

Runs in every notify process (group `notify-views`). A batch is written with unordered bulk
writes by `_id`, then its offsets are committed: a crash in between writes the same documents
again. The effects topic holds the policy's effects and, after them, the channel workers'
delivery outcomes, so a person's deliveries show how they ended in the same pass."""

import asyncio

import structlog

from tsunagu_notify.adapters.recipient_stream import Effects
from tsunagu_notify.adapters.views import EffectViews

log = structlog.get_logger(__name__)


class ViewProjector:
    def __init__(self, *, feed: Effects, views: EffectViews, max_records: int = 1000, poll_ms: int = 100) -> None:
        self.feed, self.views = feed, views
        self._max_records, self._poll_ms = max_records, poll_ms
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.feed.start()

    def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        self._stopping.set()
        await self.feed.stop()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                batches = await self.feed.poll(self._poll_ms, self._max_records)
            except Exception as exc:  # the broker away, or (a bug) an effect this version cannot read
                log.warning("views_poll_failed", error=str(exc))
                await asyncio.sleep(0.5)
                continue
            if not batches:
                continue
            try:
                await self.views.apply([e for batch in batches for e in batch.effects])
                await self.feed.commit({b.partition: b.next for b in batches})
            except Exception:
                log.exception("views_batch_failed")
                self.feed.rewind({b.partition: b.first for b in batches})
                await asyncio.sleep(0.5)
                continue
