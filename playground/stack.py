"""Playground: the stand-in Discord, the video API simulator, the real bot and the page, in one process.

The bot is the production VideoBot, configured only through its normal settings (the same variables an
operator would set: DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL, VIDEO_API_BASE_URL, TRUSTED_MEDIA_ORIGINS…),
read by ``load_settings`` from an environment built here, never from the visitor's own environment or
``.env``, so a real token can never reach the stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tempfile
from pathlib import Path
from types import TracebackType

from bot.app import Tuning, VideoBot
from bot.core.catalog import DEFAULT_PROVIDER, load_profile
from bot.core.config import Settings, load_settings
from bot.core.tasks import log_crash
from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import FakeDiscord
from playground.actions import Actions
from playground.live import LiveFeed
from playground.vendor_media import VendorMedia
from playground.web import PageServer
from playground.world import PlaygroundWorld, build_world

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 30.0
# The bot waits this long after READY for more servers before it calls itself ready; the stand-in has one.
GUILD_READY_TIMEOUT = 0.1


class Playground:
    """Start with ``async with Playground() as playground:``; ``playground.url`` is the page."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        scenario: Scenario | None = None,
        tuning: Tuning | None = None,
        boost_tier: int = 0,
    ) -> None:
        self._boost_tier = boost_tier  # the server's, which sets its upload limit
        self.page = PageServer(host, port)
        self.fake = FakeDiscord(bot_name="VideoBot", message_content_granted=True, fail_on_429=False)
        self.simulator: Simulator | None = None
        self.world: PlaygroundWorld | None = None
        self.bot: VideoBot | None = None
        self._scenario = scenario or Scenario.demo()
        self._tuning = tuning or Tuning()
        self._api_key = f"sk-playground-{secrets.token_hex(12)}"  # the simulator checks it like the vendor
        self._bot_task: asyncio.Task[None] | None = None
        self._media: VendorMedia | None = None
        self._live: LiveFeed | None = None
        self._data = tempfile.TemporaryDirectory(prefix="videobot-playground-")
        self._stack = contextlib.AsyncExitStack()

    @property
    def url(self) -> str:
        """The page's address."""
        return self.page.origin + "/"

    async def __aenter__(self) -> Playground:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Start every part, newest last; returns once the bot has synced its commands and connected."""
        origin = self.page.reserve()
        await self.fake.start()
        self._stack.push_async_callback(self.fake.close)
        self.world = world = build_world(self.fake, boost_tier=self._boost_tier)
        # The vendor's media links point at the page server, which renders them into real, playable files.
        self.simulator = simulator = Simulator(
            self._scenario, api_key=self._api_key, media_base_url=origin, prompt_keywords=True,
        )
        await simulator.start()
        self._stack.push_async_callback(simulator.close)
        self._media = VendorMedia(simulator)
        self._live = LiveFeed(self.fake, world)
        for part in (self._media, Actions(self.fake, world), self._live):
            self.page.add(part.install)
        self.page.cdn_origin = self.fake.cdn_base_url
        await self.page.start()
        self._stack.push_async_callback(self.page.close)
        self._stack.push_async_callback(self._media.close)
        self._stack.push_async_callback(self._live.close)
        await self._start_bot(self.settings(simulator.base_url or "", origin))

    def settings(self, video_api_url: str, media_origin: str) -> Settings:
        """The bot's settings, exactly as an operator would give them, aimed at the local parts."""
        assert self.world is not None and self.simulator is not None
        environment = {
            "DISCORD_TOKEN": self.fake.bot_token,
            "VIDEO_API_KEY": self._api_key,
            "DISCORD_API_BASE_URL": self.fake.api_base_url,
            "DISCORD_GATEWAY_URL": self.fake.gateway_url,
            "DISCORD_DEV_GUILD_ID": str(self.world.guild.id),
            "DISCORD_MESSAGE_CONTENT_INTENT": "true",
            "VIDEO_API_BASE_URL": video_api_url,
            "TRUSTED_MEDIA_ORIGINS": media_origin,
            "VIDEO_MODELS": ",".join(load_profile(DEFAULT_PROVIDER).model_names),
            "VIDEO_RAW_DATA_URL": self.simulator.raw_data_url,  # where the vendor's Raw Data pages would be
            "DATABASE_PATH": str(Path(self._data.name) / "videobot.sqlite3"),
        }
        return load_settings(environment, env_file=None)

    async def _start_bot(self, settings: Settings) -> None:
        assert self.world is not None
        self.bot = bot = VideoBot(settings, tuning=self._tuning, guild_ready_timeout=GUILD_READY_TIMEOUT)
        self._bot_task = task = asyncio.create_task(bot.start(settings.discord_token.reveal()), name="videobot")
        task.add_done_callback(log_crash)
        self._stack.push_async_callback(self._stop_bot)
        guild_id = self.world.guild.id
        ready = asyncio.create_task(
            self.fake.wait_until(
                lambda: bool(self.fake.world.commands.get(guild_id)) and bot.is_ready(),
                timeout=STARTUP_TIMEOUT,
                message="the bot to sync its commands and connect",
            ),
            name="playground: bot ready",
        )
        done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
            error = task.exception() if not task.cancelled() else None
            raise RuntimeError("the bot stopped while starting") from error
        ready.result()  # raises WaitTimeout if it never got there

    async def _stop_bot(self) -> None:
        bot, task = self.bot, self._bot_task
        if bot is not None and not bot.is_closed():
            await bot.close()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10.0)

    async def close(self) -> None:
        """Stop everything, newest first, and delete the playground's database."""
        stack, self._stack = self._stack, contextlib.AsyncExitStack()
        await stack.aclose()
        await self.page.close()
        self._data.cleanup()
