"""VideoBot: the one place that creates, wires and closes every resource."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands

from bot.core.config import Settings
from bot.generation.engine import GenerationEngine
from bot.generation.runner import Caps, JobRunner
from bot.quotas.moderation import Moderation
from bot.discord_ui.modlog import ModLog
from bot.discord_ui.presenter import DiscordPresenter
from bot.discord_ui.editor import ProgressEditor
from bot.quotas.admission import QuotaService
from bot.discord_ui.ratelimit import GlobalRequestBudget
from bot.store import Store
from bot.discord_ui.boundary import VideoCommandTree
from bot.videoapi import VideoAPI
from bot.generation.service import VideoService

log = logging.getLogger(__name__)

EXTENSIONS: Final[tuple[str, ...]] = ("cogs.video", "cogs.quota", "cogs.settings")


@dataclass(frozen=True, slots=True)
class Tuning:
    """Pacing that operators never need to touch, but tests shrink to stay fast."""

    poll_interval: float = 5.0  # seconds between task queries when a stream is not available
    edit_interval: float = 1.0  # seconds between two edits of one progress message
    edit_rate: float = 25.0  # progress edits per second across all messages (Discord allows 50 requests/s)
    api_backoff: float = 1.0  # first retry delay towards the video API
    global_requests_per_second: int = 40  # all REST calls to Discord together (Discord allows 50; network
    # jitter can bunch requests paced at the client, so leave a margin)


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
    video_api: VideoAPI
    quotas: QuotaService
    runner: JobRunner
    videos: VideoService
    moderation: Moderation
    modlog: ModLog

    def __init__(
        self,
        settings: Settings,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        tuning: Tuning = Tuning(),
        **options: Any,
    ) -> None:
        self.rest_budget = GlobalRequestBudget(limit=tuning.global_requests_per_second)
        super().__init__(
            http_trace=self.rest_budget.trace_config(lambda: discord.http.Route.BASE),
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
        self.tuning = tuning
        self.initial_extensions = tuple(extensions)
        self._editor: ProgressEditor | None = None
        self._resume_task: asyncio.Task[None] | None = None
        self._resume_up_to = 0

    async def login(self, token: str) -> None:
        point_discord_py_at(self.settings.discord_api_base_url, self.settings.discord_gateway_url)
        await super().login(token)

    async def setup_hook(self) -> None:
        await self.open_resources()
        await self.load_initial_extensions()
        await self.sync_commands()
        self._resume_task = asyncio.create_task(self._resume_when_ready(), name="resume-jobs")

    async def open_resources(self) -> None:
        """Open the database, the shared HTTP session and the services built on them."""
        settings, tuning = self.settings, self.tuning
        self.store = await Store.open(settings.database_path)
        # Jobs up to here were left by an earlier run; newer ones are this process's own.
        self._resume_up_to = await self.store.jobs.latest_id()
        # No total timeout: a video stream may run for an hour. The read timeout bounds silence instead.
        self.http_session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=settings.stream_read_timeout)
        )
        self.video_api = VideoAPI(
            settings.video_api_base_url,
            settings.video_api_key.reveal() or None,
            self.http_session,
            read_timeout=settings.stream_read_timeout,
            deadline=settings.job_deadline,
            backoff=tuning.api_backoff,
            trusted_media_origins=settings.trusted_media_origins,
        )
        self.quotas = QuotaService(self.store, settings)
        self._editor = ProgressEditor(min_interval=tuning.edit_interval, rate=tuning.edit_rate)
        presenter = DiscordPresenter(
            self, self._editor, self.http_session, trusted_media_origins=settings.trusted_media_origins
        )
        engine = GenerationEngine(self.video_api, poll_interval=tuning.poll_interval, deadline=settings.job_deadline)
        self.runner = JobRunner(
            store=self.store,
            engine=engine,
            presenter=presenter,
            quotas=self.quotas,
            caps=Caps(settings.max_jobs_global, settings.max_jobs_per_guild, settings.max_jobs_per_user),
            history_max_turns=settings.history_max_turns,
        )
        self.videos = VideoService(self.store, self.quotas, self.runner)
        self.moderation = Moderation(self.store, self.quotas, settings)
        self.modlog = ModLog(self, self.store)
        self.runner.on_job_started(self.modlog.job_started)
        self.runner.on_job_ended(self.modlog.job_ended)

    async def _resume_when_ready(self) -> None:
        # After READY, so that each server's upload limit is known when a resumed video is delivered.
        await self.wait_until_ready()
        try:
            await self.runner.resume_unfinished(self._resume_up_to)
        except Exception:
            log.exception("resuming unfinished jobs failed")

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
        """Stop jobs (they stay resumable), then Discord, then the session and the database."""
        if self._resume_task is not None:
            self._resume_task.cancel()
            await asyncio.gather(self._resume_task, return_exceptions=True)
        if hasattr(self, "runner"):
            await self.runner.shutdown()
        if hasattr(self, "modlog"):
            await self.modlog.close()  # before Discord closes: lines in flight get a moment to land
        if self._editor is not None:
            await self._editor.close()
        await super().close()
        if hasattr(self, "http_session"):
            await self.http_session.close()
        if hasattr(self, "store"):
            await self.store.close()
