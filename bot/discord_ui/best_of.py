"""The best-of channel: a background task, owned by the bot and cancelled when it closes, that reposts each
server's most-starred videos of the week.

Schedule (deterministic): every `interval` seconds (an hour by default), for each server with a best-of channel,
the videos finished in the last seven days that reached the server's star threshold and were never reposted
are posted, most-starred first, at most five per server per look. Each video is claimed in the database before
it is posted, so it is reposted once, whichever process looks. Only the process connected to a server looks at
it (it knows the server's channels), and only videos made in channels everyone can read are reposted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import discord

from bot.discord_ui.library_access import media_urls, public_channel_ids
from bot.discord_ui.library_render import best_of_view
from bot.generation.library import Library
from bot.store import LibrarySettings

log = logging.getLogger(__name__)

LOOK_EVERY: Final = 3600.0
GONE_FOR_GOOD: Final = frozenset({403, 404})  # no access to the channel, or it was deleted: trying again won't help


class BestOfReposter:
    """Looks for videos to repost every `interval` seconds while the bot runs."""

    def __init__(self, client: discord.Client, library: Library, *, interval: float = LOOK_EVERY) -> None:
        self._client = client
        self._library = library
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="best-of reposts")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        await self._client.wait_until_ready()
        while True:
            try:
                await self.look()
            except Exception:
                log.exception("best-of: a look failed; trying again at the next one")
            await asyncio.sleep(self._interval)

    async def look(self) -> int:
        """One look over every server this process serves; returns how many videos were reposted."""
        posted = 0
        for settings in await self._library.servers_with_best_of():
            guild = self._client.get_guild(settings.guild_id)
            if guild is not None:
                posted += await self._server(guild, settings)
        return posted

    async def _server(self, guild: discord.Guild, settings: LibrarySettings) -> int:
        assert settings.best_of_channel_id is not None
        now = discord.utils.utcnow()
        due = await self._library.best_of_due(settings, public_channel_ids(guild), now)
        posted = 0
        channel = self._client.get_partial_messageable(settings.best_of_channel_id, guild_id=guild.id)
        for video in due:
            if not await self._library.claim_repost(video, settings.best_of_channel_id, guild.id):
                continue
            media = await media_urls(self._client, [video])
            try:
                message = await channel.send(view=best_of_view(video, guild.id, media.get(video.job_id)))
            except discord.HTTPException as error:
                retry = error.status not in GONE_FOR_GOOD
                log.warning("best-of: reposting job %s in channel %s failed (%s)%s", video.job_id, channel.id,
                            error.status, "; will try again" if retry else "")
                await self._library.repost_failed(video.job_id, retry=retry)
                continue
            await self._library.reposted(video.job_id, message.id)
            posted += 1
        return posted
