"""A process-wide budget for Discord REST calls, under Discord's global limit of 50 requests per second.

discord.py paces each route from the rate-limit headers, but the global limit has no headers: it is only
discovered by a 429. This sliding window keeps every second's requests under the limit instead. It hooks in
through `Client(http_trace=...)`, whose `on_request_start` aiohttp awaits before sending, so it covers every
call discord.py makes without touching discord.py. Interaction callbacks and interaction webhooks are exempt
from the global limit (Discord's docs), and so are not counted.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from types import SimpleNamespace

import aiohttp

EXEMPT_PATHS = ("/interactions/", "/webhooks/")


class GlobalRequestBudget:
    """At most `limit` requests in any `per`-second window, granted in arrival order."""

    def __init__(self, limit: int = 45, per: float = 1.0, *, clock: Callable[[], float] | None = None) -> None:
        self._limit = limit
        self._per = per
        self._sent: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()
        self._clock = clock

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def acquire(self) -> None:
        """Wait until one more request fits in the window."""
        async with self._lock:
            while True:
                now = self._now()
                while self._sent and self._sent[0] <= now - self._per:
                    self._sent.popleft()
                if len(self._sent) < self._limit:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._sent[0] + self._per - now)

    def trace_config(self, api_prefix: Callable[[], str]) -> aiohttp.TraceConfig:
        """A TraceConfig that makes every Discord REST request wait for the budget.

        `api_prefix` returns the REST base at request time (it can be pointed elsewhere after start-up);
        gateway connections, attachment downloads and exempt routes pass straight through.
        """
        trace = aiohttp.TraceConfig()

        async def on_request_start(
            session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
        ) -> None:
            url = str(params.url)
            if url.startswith(api_prefix()) and not any(part in url for part in EXEMPT_PATHS):
                await self.acquire()

        trace.on_request_start.append(on_request_start)
        return trace
