"""ModLog: posts to a server's moderator-log channel, if it has one.

One line per generation, posted when the job is launched and edited when it ends, and one line per quota or
settings change. Posting runs in the background with the bot token (channel routes, never an interaction
token): it never delays a generation or a command, and a failure is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.discord_ui.moderation_render import generation_line
from bot.discord_ui.money_render import cost_suffix
from bot.discord_ui.ratelimit import Priority, rest_priority
from bot.quotas.spending import Spending
from bot.store import Job, Store

log = logging.getLogger(__name__)


class ModLog:
    """The moderator log of every server; owns the background tasks that post to it."""

    def __init__(
        self, client: discord.Client, store: Store, *, drain_timeout: float = 2.0, costs: Spending | None = None
    ) -> None:
        self._client = client
        self._store = store
        self._costs = costs  # what a finished video cost, added to its line
        self._drain_timeout = drain_timeout
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_for_job: dict[int, asyncio.Task[None]] = {}
        self._closed = False

    # --- what callers use -------------------------------------------------------------------------

    async def job_started(self, job: Job) -> None:
        """A job was launched: post its line (JobRunner listener; returns at once)."""
        self._for_job(job.id, lambda: self._post_started(job))

    async def job_ended(self, job: Job) -> None:
        """A job ended: edit its line with the outcome (JobRunner listener; returns at once)."""
        self._for_job(job.id, lambda: self._post_ended(job))

    def change(self, guild_id: int, line: str, *, also_channel_id: int | None = None) -> None:
        """Post a quota or settings change line in the background."""
        # `also_channel_id`: the old log, when a moderator moves the log or turns it off, hears it too.
        if not self._closed:
            self._spawn(self._post_change(guild_id, line, also_channel_id), f"modlog-change-{guild_id}")

    async def close(self) -> None:
        """Let lines in flight finish for a moment, then stop (and post nothing more)."""
        self._closed = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._drain_timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- scheduling -------------------------------------------------------------------------------

    def _for_job(self, job_id: int, work: Callable[[], Awaitable[None]]) -> None:
        if self._closed:
            return  # shutting down: the database may already be closed
        # A job's edits run after its post: a quick refusal can end a job before its first line is sent.
        previous = self._last_for_job.get(job_id)

        async def in_order() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            await work()

        task = self._spawn(in_order(), f"modlog-job-{job_id}")
        self._last_for_job[job_id] = task
        task.add_done_callback(
            lambda t: self._last_for_job.pop(job_id) if self._last_for_job.get(job_id) is t else None
        )

    def _spawn(self, work: Awaitable[None], name: str) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                with rest_priority(Priority.LOG):  # after everything a member is waiting for
                    await work
            except discord.HTTPException as error:
                log.warning("%s: Discord refused the moderator-log post (%s %s)", name, error.status, error.text)
            except Exception:
                log.exception("%s failed", name)

        task = asyncio.create_task(guarded(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- posting ----------------------------------------------------------------------------------

    async def _channel_of(self, guild_id: int) -> int | None:
        return (await self._store.settings.get(guild_id)).mod_log_channel_id

    async def _send(self, guild_id: int, channel_id: int, text: str) -> discord.Message:
        channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
        return await channel.send(text)

    async def _post_started(self, job: Job, line: str | None = None) -> None:
        channel_id = await self._channel_of(job.guild_id)
        if channel_id is None:
            return
        message = await self._send(job.guild_id, channel_id, line or generation_line(job))
        await self._store.modlog.remember(job.id, channel_id, message.id)

    async def _post_ended(self, job: Job) -> None:
        cost = await self._costs.of_job(job) if self._costs is not None else None
        line = generation_line(job) + cost_suffix(cost)
        post = await self._store.modlog.of_job(job.id)
        if post is not None:
            channel = self._client.get_partial_messageable(post.channel_id, guild_id=job.guild_id)
            try:
                await channel.get_partial_message(post.message_id).edit(content=line)
                return
            except discord.NotFound:
                pass  # someone deleted the line: post it again below
        # No line yet: the log was turned on while the job ran, or its first post was lost in a restart.
        await self._post_started(job, line)

    async def _post_change(self, guild_id: int, line: str, also_channel_id: int | None) -> None:
        targets = {await self._channel_of(guild_id), also_channel_id}
        for channel_id in sorted(c for c in targets if c is not None):
            try:
                await self._send(guild_id, channel_id, line)
            except discord.HTTPException as error:  # one unreachable channel must not silence the other
                log.warning("moderator log %s refused a change line (%s %s)", channel_id, error.status, error.text)
