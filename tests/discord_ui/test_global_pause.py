"""A global rate-limit pause ends however the request that began it ends: a cancelled request must not leave
every later Discord request of the process waiting forever (discord.py sets the pause again only when the
sleep it began completes)."""

from __future__ import annotations

import asyncio

from bot.discord_ui.global_pause import GlobalPause


async def _meets_a_global_429(pause: GlobalPause, retry_after: float) -> None:
    # What discord.py's request does on a global 429.
    pause.clear()
    await asyncio.sleep(retry_after)
    pause.set()


async def test_a_request_cancelled_during_the_pause_ends_it() -> None:
    pause = GlobalPause()
    request = asyncio.create_task(_meets_a_global_429(pause, retry_after=60))
    await asyncio.sleep(0)
    assert not pause.is_set()
    request.cancel()
    await asyncio.gather(request, return_exceptions=True)
    await asyncio.wait_for(pause.wait(), timeout=1)  # the next request goes ahead


async def test_a_pause_ends_after_the_longest_allowed_even_if_its_task_lives_on() -> None:
    pause = GlobalPause(longest=0.05)
    request = asyncio.create_task(_meets_a_global_429(pause, retry_after=60))
    await asyncio.wait_for(pause.wait(), timeout=1)
    request.cancel()


async def test_a_pause_that_completes_ends_as_discord_py_ends_it() -> None:
    pause = GlobalPause()
    await _meets_a_global_429(pause, retry_after=0.01)
    assert pause.is_set()
