"""RatePacer: at most `rate` turns a second, handed out in arrival order, however many callers wait."""

from __future__ import annotations

import asyncio


class RatePacer:
    """Spaces out calls (polls of the video API, say) to a steady rate instead of letting them come in waves."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self._gap = 1.0 / rate
        self._next = 0.0  # the loop time of the next free turn
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        """Wait for the next free turn."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            wait = self._next - now
            self._next = max(now, self._next) + self._gap
        if wait > 0:
            await asyncio.sleep(wait)
