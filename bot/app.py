"""VideoBot: the one place that creates, wires and closes every resource."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands

from bot.config import Settings
from bot.store import Store
from bot.tree import VideoCommandTree

log = logging.getLogger(__name__)

EXTENSIONS: Final[tuple[str, ...]] = ()


def intents_for(settings: Settings) -> discord.Intents:
    """Only what the bot uses: guilds (threads, channels), guild messages (replies) and, if granted, content."""
    return discord.Intents(guilds=True, guild_messages=True, message_content=settings.message_content_intent)


def point_discord_py_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST and gateway traffic elsewhere (a rate-limit proxy, or a local fake Discord).

    Both are class attributes read at use time (see reference/discord-protocol-notes.md §1), so this is
    process-wide: one process runs one bot.
    """
    if api_base_url:
        discord.http.Route.BASE = api_base_url
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class VideoBot(commands.Bot):
    """The Discord client. `setup_hook` opens everything, `close` releases everything."""

    store: Store
    http_session: aiohttp.ClientSession

    def __init__(
        self,
        settings: Settings,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        **options: Any,
    ) -> None:
        super().__init__(
            # Required by commands.Bot but unused: on_message below never processes text commands,
            # so a mention of the bot can start a remix instead.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents_for(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=VideoCommandTree,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.settings = settings
        self.initial_extensions = tuple(extensions)

    async def login(self, token: str) -> None:
        point_discord_py_at(self.settings.discord_api_base_url, self.settings.discord_gateway_url)
        await super().login(token)

    async def setup_hook(self) -> None:
        await self.open_resources()
        await self.load_initial_extensions()
        await self.sync_commands()

    async def open_resources(self) -> None:
        """Open the database (migrating it) and the one shared HTTP session."""
        self.store = await Store.open(self.settings.database_path)
        # No total timeout: a video stream may run for an hour. The read timeout bounds silence instead.
        self.http_session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.settings.stream_read_timeout)
        )

    async def load_initial_extensions(self) -> None:
        """Load the cogs named in `initial_extensions`, in order."""
        for extension in self.initial_extensions:
            await self.load_extension(extension)

    async def sync_commands(self) -> None:
        """Register slash commands once per start: to the development guild if set (instant), else globally."""
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to development guild %s", len(synced), guild.id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (they can take up to an hour to appear)", len(synced))

    async def on_message(self, message: discord.Message) -> None:
        """Slash commands only: messages are for the listeners in cogs, never text commands."""

    async def close(self) -> None:
        await super().close()
        if hasattr(self, "http_session"):
            await self.http_session.close()
        if hasattr(self, "store"):
            await self.store.close()
