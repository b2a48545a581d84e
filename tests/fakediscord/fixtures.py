"""Pytest fixtures for end-to-end tests against the fake Discord (register with ``pytest_plugins``)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from fakediscord import Channel, FakeDiscord, Guild, Role, User

__all__ = [
    "TypicalGuild",
    "discord_world",
    "fake_discord",
    "fake_discord_options",
    "point_discord_py_at",
    "pytest_configure",
    "running_bot",
]

BotT = TypeVar("BotT", bound=discord.Client)
MAX_GUILD_READY_TIMEOUT = 0.5


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``fake_discord`` marker (keyword arguments for FakeDiscord)."""
    config.addinivalue_line(
        "markers",
        "fake_discord(**options): FakeDiscord keyword arguments for the fake_discord fixture, e.g. "
        "message_content_granted=False, interaction_token_lifetime=1.0, rate_limits=RateLimits(...)",
    )


def point_discord_py_at(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """Send discord.py's REST and gateway traffic to the fake (the same two assignments the bot's
    DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL settings make), restored by monkeypatch afterwards."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))


@pytest.fixture
def fake_discord_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """FakeDiscord keyword arguments: from ``@pytest.mark.fake_discord(...)``; override the fixture to compute them."""
    marker = request.node.get_closest_marker("fake_discord")
    return dict(marker.kwargs) if marker is not None else {}


@pytest.fixture
async def fake_discord(
    fake_discord_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py pointed at it.

    Teardown fails the test on any 429 (unless ``fail_on_429=False``), any unknown route, any violation the
    test did not declare with ``fake.expect_violation(code)``, and any declared violation that never happened.
    """
    fake = FakeDiscord(**fake_discord_options)
    await fake.start()
    point_discord_py_at(fake, monkeypatch)
    try:
        yield fake
    finally:
        await fake.close()
    fake.assert_clean()


@dataclasses.dataclass
class TypicalGuild:
    """The people and places of ``discord_world``."""

    fake: FakeDiscord
    guild: Guild
    owner: User
    moderator: User
    member: User
    other_member: User
    moderator_role: Role
    channel: Channel


@pytest.fixture
def discord_world(fake_discord: FakeDiscord) -> TypicalGuild:
    """ "Art Club": owner olivia, moderator mo (Manage Server via the Moderator role), members maya and sam,
    and #video-lab. Built before the bot connects, so it all arrives in GUILD_CREATE."""
    fake = fake_discord
    owner = fake.create_user("olivia")
    guild = fake.create_guild("Art Club", owner=owner)
    moderator_role = guild.create_role("Moderator", discord.Permissions(manage_guild=True))
    moderator = fake.create_user("mo")
    guild.add_member(moderator, roles=[moderator_role])
    member = fake.create_user("maya")
    guild.add_member(member)
    other = fake.create_user("sam")
    guild.add_member(other)
    channel = guild.create_text_channel("video-lab")
    return TypicalGuild(fake, guild, owner, moderator, member, other, moderator_role, channel)


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscord, bot: BotT, *, ready_timeout: float = 5.0) -> AsyncIterator[BotT]:
    """Run ``bot.start(fake.bot_token)`` as a task until the block exits; yields once ``on_ready`` fired.

    The bot must be a ``commands.Bot`` (``add_listener`` is used, because ``wait_until_ready`` cannot be called
    before login) constructed with ``guild_ready_timeout=0.05``: discord.py otherwise waits 2 s after READY
    before ``on_ready``. If the client task dies before ready, its exception is raised here (e.g.
    ``PrivilegedIntentsRequired``). On exit the bot is closed and its task awaited; an exception that ended
    the task while the block ran is re-raised.
    """
    if bot._connection.guild_ready_timeout > MAX_GUILD_READY_TIMEOUT:
        raise ValueError("construct the bot with guild_ready_timeout=0.05 (discord.py waits that long for on_ready)")
    ready = asyncio.Event()

    async def mark_ready() -> None:
        ready.set()

    add_listener = getattr(bot, "add_listener", None)
    if add_listener is None:
        raise TypeError("running_bot needs a commands.Bot (or anything with add_listener/remove_listener)")
    add_listener(mark_ready, "on_ready")
    task = asyncio.create_task(bot.start(fake.bot_token), name="running_bot: bot.start")
    waiter = asyncio.create_task(ready.wait(), name="running_bot: ready")
    try:
        await asyncio.wait({task, waiter}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED)
        if not ready.is_set():
            if task.done():
                exc = task.exception()
                if exc is not None:
                    raise exc
                raise RuntimeError("bot.start() returned before on_ready")
            raise TimeoutError(f"the bot was not ready after {ready_timeout}s")
        yield bot
    finally:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        bot.remove_listener(mark_ready, "on_ready")  # type: ignore[attr-defined]
        if not bot.is_closed():
            await bot.close()
        if not task.done():
            await asyncio.wait({task}, timeout=5.0)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif ready.is_set() and not task.cancelled() and task.exception() is not None:
            raise RuntimeError("the bot's client task died while the test ran") from task.exception()
