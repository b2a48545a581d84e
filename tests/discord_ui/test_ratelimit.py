"""The global REST budget keeps any one-second window under the limit, in arrival order."""

from __future__ import annotations

import asyncio

from bot.discord_ui.ratelimit import GlobalRequestBudget


async def test_no_window_holds_more_than_the_limit() -> None:
    budget = GlobalRequestBudget(limit=10, per=0.2)
    loop = asyncio.get_running_loop()
    granted: list[float] = []

    async def request() -> None:
        await budget.acquire()
        granted.append(loop.time())

    await asyncio.gather(*(request() for _ in range(35)))
    assert len(granted) == 35
    for start in granted:  # every window that begins at a send
        assert sum(1 for t in granted if start <= t < start + 0.2 - 1e-3) <= 10
    assert granted == sorted(granted)
