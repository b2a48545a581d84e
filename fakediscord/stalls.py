"""Stalls: hold the answers to chosen REST requests until a test releases them.

Discord has done what was asked, but the answer has not arrived: the moment a client that dies now cannot
know about (a thread exists, but the bot never learnt its ID).
"""

from __future__ import annotations

import asyncio


class Stall:
    """Holds every request to one route (``"POST /channels/{channel_id}/messages/{message_id}/threads"``)."""

    def __init__(self, method: str, route: str) -> None:
        self.method = method
        self.route = route
        self.held = 0  # requests waiting right now
        self._released = asyncio.Event()

    def matches(self, method: str, route: str) -> bool:
        return method == self.method and route == self.route

    async def hold(self) -> None:
        self.held += 1
        try:
            await self._released.wait()
        finally:
            self.held -= 1

    def release(self) -> None:
        """Let every held request (and every later one) through, as if the network had been slow."""
        self._released.set()
