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
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands

from bot.core import metrics
from bot.core.config import Settings
from bot.core.ops import Check, OpsServer
from bot.core.sharding import Shards
from bot.discord_ui.acknowledge import command_received
from bot.discord_ui.best_of import LOOK_EVERY, BestOfReposter
from bot.discord_ui.boundary import VideoCommandTree
from bot.discord_ui.editor import ProgressEditor
from bot.discord_ui.global_pause import GlobalPause
from bot.discord_ui.identify import IdentifyPacer
from bot.discord_ui.modlog import ModLog
from bot.discord_ui.presenter import DiscordPresenter
from bot.discord_ui.ratelimit import GlobalRequestBudget
from bot.discord_ui.readiness import VendorCheck, accepting_check, database_check, gateway_check
from bot.discord_ui.request_metrics import record_requests
from bot.discord_ui.rest_share import RestShare, alone_share
from bot.discord_ui.services import Services
from bot.discord_ui.starter import VideoStarter
from bot.discord_ui.upload_limits import UploadLimits
from bot.generation.engine import GenerationEngine, picture_loader
from bot.generation.finished import FinishedVideos
from bot.generation.leasing import LeaseTerms, new_owner_id
from bot.generation.library import Library
from bot.generation.observed import JobMetrics, ObservedPresenter
from bot.generation.pacing import MEMBER_INTERVAL, VIDEO_INTERVAL, RefreshPacer
from bot.generation.runner import Caps, JobRunner
from bot.generation.service import VideoService
from bot.media.limits import MediaLimits
from bot.media.prepare import MediaPreparer
from bot.media.processes import MediaProcesses
from bot.media.workspace import MediaWorkspace
from bot.quotas.admission import QuotaService
from bot.quotas.keys import ServerKeys
from bot.quotas.moderation import Moderation
from bot.quotas.spending import Spending
from bot.store import Store
from bot.videoapi import VideoAPI
from bot.views.library import LibraryView
from bot.views.status import StatusView

log = logging.getLogger(__name__)

EXTENSIONS: Final[tuple[str, ...]] = ("cogs.video", "cogs.quota", "cogs.settings", "cogs.status", "cogs.library")
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
    line_retry: float = 1.0  # seconds between two looks for a place another process freed, while jobs wait
    refresh_per_video: float = VIDEO_INTERVAL.total_seconds()  # Refresh link asks the vendor about a video at
    refresh_per_member: float = MEMBER_INTERVAL.total_seconds()  # most this often, and for one member this often
    # On shutdown: how long videos being started may take to get their task ID (so the adopter polls it rather
    # than failing it) and those being ended to land, then how long edits under way may take to land.
    handover_wait: float = 5.0
    edits_landing: float = 2.0
    best_of_interval: float = LOOK_EVERY  # seconds between two looks for videos to repost in best-of channels


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


def edit_rate_for(share: int, tuning: Tuning) -> float:
    """Progress edits per second: the tuning's, within this process's share of Discord's REST limit."""
    return min(tuning.edit_rate, share * 0.95)


def first_rest_share(settings: Settings) -> int:
    """This process's REST share before it has seen the others (see bot/discord_ui/rest_share.py)."""
    return alone_share(settings.rest_per_second, settings.shard_count, settings.shard_ids)


class VideoBot(commands.AutoShardedBot):
    """The Discord client. `setup_hook` opens everything, `close` releases it, newest first.

    It runs the shards of DISCORD_SHARD_IDS out of DISCORD_SHARD_COUNT (by default the one shard of a bot in
    fewer than 2,500 servers) with discord.py's own sharding; several processes split the shards between them.
    """

    services: Services
    store: Store
    http_session: aiohttp.ClientSession
    runner: JobRunner
    media_workers: MediaProcesses  # the sandboxed media workers (their peak memory is a health figure)

    def __init__(
        self,
        settings: Settings,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        tuning: Tuning = Tuning(),
        **options: Any,
    ) -> None:
        # This process's share of Discord's global REST limit, which the processes of the bot split between them
        # through the database (RestShare, from open_resources); none when a REST proxy paces it for all of them.
        self.rest_budget = None if settings.rest_proxy else GlobalRequestBudget(limit=first_rest_share(settings))
        trace = (aiohttp.TraceConfig() if self.rest_budget is None
                 else self.rest_budget.trace_config(lambda: discord.http.Route.BASE))
        options["http_trace"] = record_requests(trace, lambda: discord.http.Route.BASE)  # requests, 429s, latency
        if settings.shard_ids is not None:
            options["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            shard_count=settings.shard_count,  # None: as many as Discord recommends (GET /gateway/bot)
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
        self.owner_id_in_leases = new_owner_id()
        self._identify = IdentifyPacer(self._max_concurrency)
        self._resources = contextlib.AsyncExitStack()
        self.started_at = datetime.now(UTC)  # for the uptime /videobot status shows

    @property
    def runs_shard_zero(self) -> bool:
        """Whether this process runs shard 0: the one process of a deployment that syncs the commands."""
        return self.settings.shard_ids is None or 0 in self.settings.shard_ids

    @property
    def running_shards(self) -> Shards:
        """The shards this process runs, out of how many (known once connected when DISCORD_SHARD_COUNT=auto)."""
        count = self.shard_count or 1
        return Shards(count, tuple(self.shard_ids) if self.shard_ids is not None else tuple(range(count)))

    async def login(self, token: str) -> None:
        point_discord_py_at(self.settings.discord_api_base_url, self.settings.discord_gateway_url)
        # Connections to Discord are kept alive and reused, and bounded: discord.py's default opens a new one
        # for every request in flight (five hundred at once in a burst, each with its TLS handshake).
        self.http.connector = aiohttp.TCPConnector(limit=DISCORD_CONNECTIONS)
        await super().login(token)
        # discord.py makes its global rate-limit event at login; this one cannot be left cleared forever.
        self.http._global_over = GlobalPause()

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
        rest_share = None
        if self.rest_budget is not None:
            # Stopped after the Discord client has closed (below): its share is given back when it sends no more.
            rest_share = RestShare(self.rest_budget, self.store.rest_sharers, self.owner_id_in_leases,
                                   total=settings.rest_per_second, alone_share=first_rest_share(settings))
            sharing = asyncio.create_task(rest_share.run(), name="rest-share")
            resources.push_async_callback(_cancel_and_wait, sharing)
        shards = "as many shards as Discord recommends" if settings.shard_count is None else str(self.running_shards)
        rest = ("paced by the REST proxy" if settings.rest_proxy
                else f"{settings.rest_per_second} requests/s of Discord's 50, shared by the bot's processes")
        log.info("this process runs %s; job lease owner %s; Discord REST: %s", shards, self.owner_id_in_leases, rest)
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
        if settings.http_port is not None:  # closed after the jobs are handed over: /readyz says so meanwhile
            await self._open_ops_listener(settings.http_host, settings.http_port, session)
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
        keys = ServerKeys(self.store, settings.server_key_secret)
        share = self.rest_budget.limit if self.rest_budget is not None else settings.rest_per_second
        editor = ProgressEditor(min_interval=tuning.edit_interval, rate=edit_rate_for(share, tuning))
        if rest_share is not None:
            rest_share.on_share = lambda share: editor.set_rate(edit_rate_for(share, tuning))
        resources.push_async_callback(editor.close, tuning.edits_landing)
        modlog = ModLog(self, self.store, costs=Spending(self.store))
        resources.push_async_callback(modlog.close)  # lines in flight get a moment to land
        # Downloads and re-encodes go to disk beside the database (not a /tmp that may live in memory), in a
        # directory of this process's own; what a crashed run left there is removed as it opens. The workers
        # are stopped before the directory is removed.
        workspace = await MediaWorkspace.open(settings.database_path.parent / "media-tmp")
        resources.push_async_callback(workspace.close)
        self.media_workers = media_workers = MediaProcesses(
            encodes_at_once=settings.media_encoders,
            limits=MediaLimits(max_pixels=settings.media_max_pixels,
                               memory_bytes=settings.media_worker_memory_mb * 1024 * 1024),
        )
        resources.push_async_callback(media_workers.close)
        preparer = MediaPreparer(
            media_session, workspace, media_workers, trusted_origins=settings.trusted_media_origins,
            reencode=settings.reencode_videos,
        )
        upload_limits = UploadLimits(self)
        self.add_listener(upload_limits.on_interaction)  # every interaction refreshes its server's upload limit
        presenter = ObservedPresenter(
            DiscordPresenter(self, editor, preparer, upload_limits, deliveries_at_once=DELIVERIES_AT_ONCE),
            settings.provider.name,
        )
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
            lease=LeaseTerms(self.owner_id_in_leases, settings.job_lease_timeout, tuning.line_retry),
            vendor_key=keys.key_for,
        )
        # Jobs stop (those starting or ending get a moment), released for another process to adopt at once.
        resources.push_async_callback(self.runner.shutdown, tuning.handover_wait)
        self.runner.keep_leases()
        self.runner.on_job_started(modlog.job_started)
        self.runner.on_job_ended(modlog.job_ended)
        job_metrics = JobMetrics(settings.provider.name, self.store)
        self.runner.on_job_started(job_metrics.started)
        self.runner.on_job_ended(job_metrics.ended)
        runner = self.runner
        metrics.SHUTTING_DOWN.set_function(lambda: runner.closing)
        metrics.QUEUE_DEPTH.set_function(lambda: runner.load[0])
        metrics.JOBS_ACTIVE.labels("waiting").set_function(lambda: runner.load[0])
        metrics.JOBS_ACTIVE.labels("running").set_function(lambda: runner.load[1])
        metrics.LEASES_HELD.labels(self.running_shards.label).set_function(lambda: len(runner.held()))
        videos = VideoService(self.store, quotas, self.runner, settings)
        spending = Spending(self.store)
        library = Library(self.store)
        self.services = Services(
            settings=settings,
            videos=videos,
            starter=VideoStarter(videos, upload_limits),
            quotas=quotas,
            moderation=Moderation(self.store, quotas, settings),
            modlog=modlog,
            finished=FinishedVideos(
                self.store, video_api, settings.provider, vendor_key=keys.key_for, pacer=RefreshPacer(
                    self.store, per_video=timedelta(seconds=tuning.refresh_per_video),
                    per_member=timedelta(seconds=tuning.refresh_per_member),
                ),
            ),
            keys=keys,
            spending=spending,
            status=StatusView(self.store, settings, keys, spending),
            library=library,
            library_view=LibraryView(self.store),
        )
        best_of = BestOfReposter(self, library, interval=tuning.best_of_interval)
        best_of.start()
        resources.push_async_callback(best_of.close)
        adopting = asyncio.create_task(self._lease_when_ready(), name="adopt-when-ready")
        resources.push_async_callback(_cancel_and_wait, adopting)

    async def _open_ops_listener(self, host: str, port: int, session: aiohttp.ClientSession) -> None:
        """/healthz, /readyz and /metrics for the operator (bot/core/ops.py); readiness asks the runner, which
        exists by the time anyone can ask."""
        listener = OpsServer(host, port, readiness={
            "gateway": lambda: _now(gateway_check(self)),
            "database": lambda: database_check(self.store),
            "video_api": VendorCheck(self.settings, session),
            "accepting": lambda: _now(accepting_check(self.runner)),
        })
        await listener.start()
        self._resources.push_async_callback(listener.close)

    async def _lease_when_ready(self) -> None:
        # Adopting waits for READY on every shard, so that the shard count is known (DISCORD_SHARD_COUNT=auto)
        # and each server's boost tier is known when an adopted video without a recorded upload limit is
        # delivered. Renewing starts at once.
        await self.wait_until_ready()
        self.runner.adopt_for(self.running_shards)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction":  # parsed from the gateway: its acknowledgement goes before other work
            command_received(self, args[0])
        super().dispatch(event_name, *args, **kwargs)

    async def on_shard_ready(self, shard_id: int) -> None:
        servers = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info("shard %d of %d ready: %d server(s)", shard_id, self.shard_count or 1, servers)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self._identify.before_identify(shard_id or 0)

    async def _max_concurrency(self) -> int:
        return (await self.fetch_session_start_limits()).max_concurrency

    async def load_initial_extensions(self) -> None:
        """Load the cogs named in `initial_extensions`, in order."""
        for extension in self.initial_extensions:
            await self.load_extension(extension)

    async def sync_commands(self) -> None:
        """Register the slash commands, to the development guild if set (instant) else globally, but only
        when they changed since the last sync: command syncs have a small rate limit of their own, and a
        bot restarted twice in a minute must not wait for it. Commands belong to the application, not to a
        process: only the process running shard 0 syncs them, once per deployment however many processes start."""
        if not self.runs_shard_zero:
            log.info("slash commands are synced by the process that runs shard 0")
            return
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


async def _now(check: Check) -> Check:
    return check


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
