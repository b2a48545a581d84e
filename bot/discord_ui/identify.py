"""When a process running several shards may IDENTIFY each of them.

Discord lets a bot start `max_concurrency` sessions every 5 seconds: shard `i` is in bucket
`i % max_concurrency`, and each bucket takes one IDENTIFY per 5 seconds (GET /gateway/bot says how many
buckets the bot has). discord.py's default `before_identify_hook` waits 5 seconds before every shard but the
first, whatever the buckets; this waits only when the shard's bucket was used less than 5 seconds ago. It
paces this process's shards; processes started at the same moment should start in different buckets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

log = logging.getLogger(__name__)

IDENTIFY_WINDOW: Final = 5.0  # seconds one bucket needs between two IDENTIFYs (Discord's)


class IdentifyPacer:
    """Spaces this process's IDENTIFYs by bucket; asks for `max_concurrency` only once a second shard starts."""

    def __init__(self, max_concurrency: Callable[[], Awaitable[int]]) -> None:
        self._max_concurrency = max_concurrency
        self._concurrency: int | None = None
        self._last: dict[int, float] = {}  # shard → when it last identified (loop time)

    async def before_identify(self, shard_id: int) -> None:
        """Wait until `shard_id` may IDENTIFY, then count it as identifying now."""
        loop = asyncio.get_running_loop()
        if self._last and self._concurrency is None:
            try:
                self._concurrency = max(1, await self._max_concurrency())
            except Exception:  # the common case needs no answer; without one, assume the strictest
                log.warning("could not read the session start limits from Discord; starting one shard per 5 s")
                self._concurrency = 1
        bucket = shard_id % (self._concurrency or 1)
        while True:
            same = [at for shard, at in self._last.items() if shard % (self._concurrency or 1) == bucket]
            wait = max(same, default=-IDENTIFY_WINDOW) + IDENTIFY_WINDOW - loop.time()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self._last[shard_id] = loop.time()
