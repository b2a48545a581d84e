"""DiscordPresenter: shows job states in their progress messages, with the bot token (never an interaction
token, which dies after 15 minutes), and attaches the finished video when it fits the server's upload limit.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import aiohttp
import discord

from bot.discord_ui.editor import ProgressEditor
from bot.discord_ui.render import Rendered, render_progress
from bot.generation.state import Phase, ProgressState
from bot.media.download import MediaError, MediaTooLarge, download_media
from bot.store import Job

log = logging.getLogger(__name__)

THREAD_ARCHIVED = 50083  # Discord's error code for writing in an archived thread
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024  # Discord's default per-file limit since 2025-01
PREVIEW_LIMIT = 8 * 1024 * 1024
_PREVIEW_TYPES = (".webp", ".png", ".jpg", ".jpeg", ".gif")


def video_filename(prompt: str) -> str:
    """A readable file name from the prompt: 'a-cow-with-wings.mp4'."""
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:48].strip("-")
    return f"{slug or 'video'}.mp4"


def preview_filename(url: str) -> str:
    """'preview.webp', keeping the image type of the vendor's URL."""
    suffix = next((s for s in _PREVIEW_TYPES if urlsplit(url).path.lower().endswith(s)), ".webp")
    return f"preview{suffix}"


class DiscordPresenter:
    """The Discord side of the JobRunner."""

    def __init__(
        self,
        client: discord.Client,
        editor: ProgressEditor,
        session: aiohttp.ClientSession,
        *,
        trusted_media_origins: Sequence[str] = (),
        download_timeout: float = 120.0,
    ) -> None:
        self._client = client
        self._editor = editor
        self._session = session
        self._trusted = tuple(trusted_media_origins)
        self._download_timeout = download_timeout

    def show(self, job: Job, state: ProgressState) -> None:
        """Queue an intermediate state; the editor coalesces and paces it."""
        message = self._message(job)
        if message is None:
            return
        rendered = render_progress(state)

        async def apply() -> None:
            await self._edit(message, rendered)

        self._editor.show(message.id, apply)

    async def conclude(self, job: Job, state: ProgressState) -> None:
        """Show the final state; a finished video is downloaded and attached when it fits."""
        message = self._message(job)
        if message is None:
            return
        files: list[tuple[str, bytes]] = []
        if state.phase is Phase.FINISHED and state.video_url:
            state, files = await self._attachments(job, state)
        rendered = render_progress(state)

        async def apply() -> None:
            await self._edit(message, rendered, files)

        if not await self._editor.finish(message.id, apply):
            log.warning("could not show the end of job %s in message %s", job.id, message.id)

    async def _edit(
        self, message: discord.PartialMessage, rendered: Rendered, files: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        """Edit a progress message; if its thread was archived meanwhile, reopen it once and edit again."""
        for attempt in (1, 2):
            try:
                if files:  # fresh File objects per attempt: a File's stream is consumed by sending it
                    attachments = [discord.File(io.BytesIO(data), filename=name) for name, data in files]
                    await message.edit(embed=rendered.embed, view=rendered.view, attachments=attachments)
                else:
                    await message.edit(embed=rendered.embed, view=rendered.view)
                return
            except discord.HTTPException as error:
                if error.code != THREAD_ARCHIVED or attempt == 2:
                    raise
                # A moderator or Discord's auto-archive closed the thread mid-job; the video still belongs there.
                thread = await self._client.fetch_channel(message.channel.id)
                if not isinstance(thread, discord.Thread):
                    raise
                log.info("reopening archived thread %s to show its video", thread.id)
                await thread.edit(archived=False)

    def _message(self, job: Job) -> discord.PartialMessage | None:
        if job.channel_id is None or job.message_id is None:
            return None
        channel = self._client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        return channel.get_partial_message(job.message_id)

    def upload_limit(self, guild_id: int) -> int:
        """The server's real per-file limit (it grows with boosts)."""
        guild = self._client.get_guild(guild_id)
        return guild.filesize_limit if guild is not None else DEFAULT_UPLOAD_LIMIT

    async def _attachments(self, job: Job, state: ProgressState) -> tuple[ProgressState, list[tuple[str, bytes]]]:
        assert state.video_url is not None
        limit = self.upload_limit(job.guild_id)
        try:
            video = await download_media(
                self._session, state.video_url, max_bytes=limit, trusted_origins=self._trusted,
                timeout=self._download_timeout,
            )
        except MediaTooLarge:
            return dataclasses.replace(state, too_large_limit=limit), []
        except MediaError as error:
            log.warning("job %s: video not attached (%s); linking it instead", job.id, error)
            return state, []
        files = [(video_filename(job.params.prompt), video)]
        state = dataclasses.replace(state, video_attached=True)
        if state.preview_url:
            name = preview_filename(state.preview_url)
            try:
                files.append((name, await download_media(
                    self._session, state.preview_url, max_bytes=PREVIEW_LIMIT, trusted_origins=self._trusted,
                    timeout=self._download_timeout,
                )))
                state = dataclasses.replace(state, attached_preview=name)
            except MediaError as error:
                log.info("job %s: preview not attached (%s)", job.id, error)
        return state, files
