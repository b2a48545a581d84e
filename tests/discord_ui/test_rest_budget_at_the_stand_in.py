"""Through real sockets to the stand-in Discord, which counts the global limit in a sliding one-second window
as Discord may: a burst far over 50 requests draws 429s from it when nothing paces it, and none when it goes
through the budget, alone or split between two processes of one bot token sharing a database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord.http
import pytest
from discord.http import Route

from bot.discord_ui.ratelimit import GlobalRequestBudget
from bot.discord_ui.rest_share import WARMUP, RestShare
from bot.store import Store
from fakediscord import Channel, FakeDiscord

BURST = 80  # one message in each of as many channels: only the global limit stands in the way


def _channels(fake: FakeDiscord, count: int) -> list[Channel]:
    owner = fake.create_user("olivia")
    guild = fake.create_guild("Launch Day", owner=owner)
    return [guild.create_text_channel(f"room-{n}") for n in range(count)]


@contextlib.asynccontextmanager
async def _rest_client(fake: FakeDiscord, budget: GlobalRequestBudget | None) -> AsyncIterator[discord.http.HTTPClient]:
    """discord.py's REST client as the bot builds it (the budget hooked in through http_trace), logged in."""
    trace = budget.trace_config(lambda: Route.BASE) if budget is not None else None
    http = discord.http.HTTPClient(asyncio.get_running_loop(), http_trace=trace)
    try:
        await http.static_login(fake.bot_token)
        yield http
    finally:
        await http.close()


async def _send_all(http: discord.http.HTTPClient, channels: list[Channel]) -> None:
    await asyncio.gather(*(
        http.request(Route("POST", "/channels/{channel_id}/messages", channel_id=c.id), json={"content": "update"})
        for c in channels
    ))


@pytest.mark.fake_discord(fail_on_429=False)
async def test_an_unpaced_burst_meets_the_sliding_window(fake_discord: FakeDiscord) -> None:
    channels = _channels(fake_discord, BURST)
    async with _rest_client(fake_discord, None) as http:
        await _send_all(http, channels)
    assert fake_discord.rate_limit_hits and {h.scope for h in fake_discord.rate_limit_hits} == {"global"}
    assert all(len(fake_discord.messages(c)) == 1 for c in channels)  # discord.py waited and retried


async def test_the_budget_keeps_a_burst_within_the_window(fake_discord: FakeDiscord) -> None:
    channels = _channels(fake_discord, BURST)
    async with _rest_client(fake_discord, GlobalRequestBudget(limit=44)) as http:
        await _send_all(http, channels)
    assert all(len(fake_discord.messages(c)) == 1 for c in channels)
    assert fake_discord.rate_limit_hits == []  # (the fixture fails the test on any 429 as well)


async def test_two_processes_of_one_bot_split_the_window(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    channels = _channels(fake_discord, BURST)
    database = tmp_path / "data" / "videobot.sqlite3"
    stores = [await Store.open(database), await Store.open(database)]
    budgets = [GlobalRequestBudget(limit=44), GlobalRequestBudget(limit=44)]
    halves = [asyncio.Event(), asyncio.Event()]  # each has seen the other, and is past warming up

    def on_share(half: asyncio.Event) -> Callable[[int], None]:
        return lambda share: half.set() if share == 22 else None

    sharing = [
        asyncio.create_task(
            RestShare(budget, store.rest_sharers, owner, total=44, alone_share=22, on_share=on_share(half)).run()
        )
        for budget, store, owner, half in zip(budgets, stores, ("shard-0", "shard-1"), halves, strict=True)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*(half.wait() for half in halves)), 5 * WARMUP)
        async with _rest_client(fake_discord, budgets[0]) as first, _rest_client(fake_discord, budgets[1]) as second:
            await asyncio.gather(_send_all(first, channels[::2]), _send_all(second, channels[1::2]))
    finally:
        for task in sharing:
            task.cancel()
        await asyncio.gather(*sharing, return_exceptions=True)
        for store in stores:
            await store.close()
    assert all(len(fake_discord.messages(c)) == 1 for c in channels)
    assert fake_discord.rate_limit_hits == []
