"""VideoBot: the composition root. It opens every resource, wires the services, loads the cogs, and closes
everything in the reverse order it was opened."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
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
from bot.discord_ui.boundary import VideoCommandTree
from bot.discord_ui.editor import ProgressEditor
from bot.discord_ui.modlog import ModLog
from bot.discord_ui.presenter import DiscordPresenter
from bot.discord_ui.ratelimit import GlobalRequestBudget
from bot.discord_ui.services import Services
from bot.discord_ui.starter import VideoStarter
from bot.generation.engine import GenerationEngine, picture_loader
from bot.generation.finished import FinishedVideos
from bot.generation.runner import Caps, JobRunner
from bot.generation.service import VideoService
from bot.media.prepare import MediaPreparer
from bot.media.processes import MediaProcesses
from bot.media.workspace import MediaWorkspace
from bot.quotas.admission import QuotaService
from bot.quotas.moderation import Moderation
from bot.store import Store
from bot.videoapi import VideoAPI

log = logging.getLogger(__name__)

EXTENSIONS: Final[tuple[str, ...]] = ("cogs.video", "cogs.quota", "cogs.settings")
DISCORD_CONNECTIONS: Final = 64  # REST connections to Discord (and the gateway's), reused
API_CONNECTIONS_FOR_QUERIES: Final = 16  # task polls and image-task creations, beside the streams
# Finished videos delivered at once (downloaded to disk, fitted, uploaded from disk): bounds the media pool and
# the scratch space, not memory. Generous, because a video waiting for the encoder holds its place meanwhile.
DELIVERIES_AT_ONCE: Final = 32


@dataclass(frozen=True, slots=True)
class Tuning:
    """Pacing that operators never need to touch, but tests shrink to stay fast."""

    poll_interval: float = 5.0  # seconds between task queries when a stream is not available
    edit_interval: float = 1.25  # seconds between two progress edits of one message: four in any five
    # seconds, so the fifth place of Discord's per-channel edit bucket (5 per 5 s) is always free for the final
    edit_rate: float = 42.0  # progress edits per second across all messages, just under the global budget:
    # more would only wait in the budget and go out stale; urgent requests overtake them there anyway
    api_backoff: float = 1.0  # first retry delay towards the video API
    global_requests_per_second: int = 44  # all REST calls to Discord together (Discord allows 50). The budget
    # counts each request until a second after it actually went out, so only network jitter needs a margin


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
    """The Discord client. `setup_hook` opens everything, `close` releases it, newest first."""

    services: Services
    store: Store
    http_session: aiohttp.ClientSession
    runner: JobRunner

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
        self._resources = contextlib.AsyncExitStack()

    async def login(self, token: str) -> None:
        point_discord_py_at(self.settings.discord_api_base_url, self.settings.discord_gateway_url)
        # Connections to Discord are kept alive and reused, and bounded: discord.py's default opens a new one
        # for every request in flight (five hundred at once in a burst, each with its TLS handshake).
        self.http.connector = aiohttp.TCPConnector(limit=DISCORD_CONNECTIONS)
        await super().login(token)

    async def setup_hook(self) -> None:
        await self.open_resources()
        await self.load_initial_extensions()
        await self.sync_commands()

    async def open_resources(self) -> None:
        """Open the database, the HTTP session and the services built on them; each closer is registered
        the moment its resource exists, so `close` undoes exactly what was opened, newest first."""
        settings, tuning, resources = self.settings, self.tuning, self._resources
        self.store = await Store.connect(settings)
        resources.push_async_callback(self.store.close)
        # Jobs up to here were left by an earlier run; newer ones are this process's own.
        resume_up_to = await self.store.jobs.latest_id()
        # Two pools, so that neither can starve the other: one for the video API, with a connection for
        # every stream the caps allow plus room for polls (so no request ever waits for a connection and a
        # read timeout measures the service's silence, never our own queue), one for media downloads.
        # No total timeout: a video stream may run for an hour; the read timeout bounds silence instead.
        api_connections = settings.max_jobs_global + API_CONNECTIONS_FOR_QUERIES
        self.http_session = session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=api_connections, limit_per_host=api_connections),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=settings.stream_read_timeout),
        )
        resources.push_async_callback(session.close)
        media_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=DELIVERIES_AT_ONCE),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60),
        )
        resources.push_async_callback(media_session.close)
        # Disconnecting from Discord comes before the session and the database close (no event handler
        # is left using them) and after every background task below has stopped (none is left posting).
        resources.push_async_callback(super().close)
        video_api = VideoAPI(
            settings.video_api_base_url,
            settings.video_api_key.reveal() or None,
            session,
            read_timeout=settings.stream_read_timeout,
            deadline=settings.job_deadline,
            backoff=tuning.api_backoff,
            trusted_media_origins=settings.trusted_media_origins,
        )
        quotas = QuotaService(self.store, settings)
        editor = ProgressEditor(min_interval=tuning.edit_interval, rate=tuning.edit_rate)
        resources.push_async_callback(editor.close)
        modlog = ModLog(self, self.store)
        resources.push_async_callback(modlog.close)  # lines in flight get a moment to land
        # Downloads and re-encodes go to disk beside the database (not a /tmp that may live in memory), in a
        # directory of this process's own; what a crashed run left there is removed as it opens. The workers
        # are stopped before the directory is removed.
        workspace = await MediaWorkspace.open(settings.database_path.parent / "media-tmp")
        resources.push_async_callback(workspace.close)
        media_workers = MediaProcesses()
        resources.push_async_callback(media_workers.close)
        preparer = MediaPreparer(
            media_session, workspace, media_workers, trusted_origins=settings.trusted_media_origins,
            reencode=settings.reencode_videos,
        )
        presenter = DiscordPresenter(self, editor, preparer, deliveries_at_once=DELIVERIES_AT_ONCE)
        engine = GenerationEngine(
            video_api, settings.provider, poll_interval=tuning.poll_interval,
            polls_per_second=settings.polls_per_second, deadline=settings.job_deadline,
            load_image=picture_loader(media_session, settings.trusted_media_origins),
        )
        self.runner = JobRunner(
            store=self.store,
            engine=engine,
            presenter=presenter,
            quotas=quotas,
            caps=Caps(settings.max_jobs_global, settings.max_jobs_per_guild),
            history_max_turns=settings.history_max_turns,
        )
        resources.push_async_callback(self.runner.shutdown)  # jobs stop, but stay resumable
        self.runner.on_job_started(modlog.job_started)
        self.runner.on_job_ended(modlog.job_ended)
        videos = VideoService(self.store, quotas, self.runner, settings)
        self.services = Services(
            settings=settings,
            videos=videos,
            starter=VideoStarter(videos),
            quotas=quotas,
            moderation=Moderation(self.store, quotas, settings),
            modlog=modlog,
            finished=FinishedVideos(self.store, video_api, settings.provider),
        )
        resume = asyncio.create_task(self._resume_when_ready(resume_up_to), name="resume-jobs")
        resources.push_async_callback(_cancel_and_wait, resume)

    async def _resume_when_ready(self, up_to_id: int) -> None:
        # After READY, so that each server's upload limit is known when a resumed video is delivered.
        await self.wait_until_ready()
        try:
            await self.runner.resume_unfinished(up_to_id)
        except Exception:
            log.exception("resuming unfinished jobs failed")

    async def load_initial_extensions(self) -> None:
        """Load the cogs named in `initial_extensions`, in order."""
        for extension in self.initial_extensions:
            await self.load_extension(extension)

    async def sync_commands(self) -> None:
        """Register the slash commands, to the development guild if set (instant) else globally, but only
        when they changed since the last sync: command syncs have a small rate limit of their own, and a
        bot restarted twice in a minute must not wait for it."""
        guild = discord.Object(id=self.settings.dev_guild_id) if self.settings.dev_guild_id is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        commands_now = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(commands_now, sort_keys=True).encode()).hexdigest()
        key = f"synced-commands:{self.application_id}:{guild.id if guild else 'global'}"
        if await self.store.state.get(key) == digest:
            log.info("slash commands unchanged since the last sync; not syncing them again")
            return
        synced = await self.tree.sync(guild=guild)
        await self.store.state.put(key, digest)
        where = f"to development guild {guild.id}" if guild else "globally (they can take up to an hour to appear)"
        log.info("synced %d commands %s", len(synced), where)

    async def on_message(self, message: discord.Message) -> None:
        """Slash commands only: messages are for the listeners in cogs, never text commands."""

    async def close(self) -> None:
        """Close everything `open_resources` opened, newest first: background work (jobs stay resumable),
        then Discord, then the HTTP session and the database."""
        resources, self._resources = self._resources, contextlib.AsyncExitStack()
        await resources.aclose()
        await super().close()  # already done if the resources were opened; idempotent


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
