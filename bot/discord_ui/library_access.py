"""What the library needs from Discord itself: which channels a member can see (from the server's channels and
their overwrites, as the bot knows them), and a URL Discord can show for each video in a media gallery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

import discord

from bot.store import LibraryVideo

log = logging.getLogger(__name__)

MEDIA_TIMEOUT: Final = 1.5  # seconds to read the videos' messages: a page answers within Discord's 3 s


def _can_read(permissions: discord.Permissions) -> bool:
    # A thread's videos are read in its parent channel: seeing the channel and its history.
    return permissions.view_channel and permissions.read_message_history


def viewable_channel_ids(guild: discord.Guild, member: discord.Member | discord.User) -> frozenset[int]:
    """The server's text channels `member` can open and read, as Discord would compute it; nothing for a user
    the server does not know as a member."""
    if not isinstance(member, discord.Member):
        return frozenset()
    return frozenset(c.id for c in guild.text_channels if _can_read(c.permissions_for(member)))


def public_channel_ids(guild: discord.Guild) -> frozenset[int]:
    """The text channels everyone in the server can open and read (the @everyone role's view)."""
    return frozenset(c.id for c in guild.text_channels if _can_read(c.permissions_for(guild.default_role)))


def _attachment_url(message: Mapping[str, Any]) -> str | None:
    """The video attached to a message, else its picture: Discord's own, freshly signed URLs."""
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, Mapping)]
    for wanted in ("video/", "image/"):
        for attachment in attachments:
            if str(attachment.get("content_type") or "").startswith(wanted) and attachment.get("url"):
                return str(attachment["url"])
    return None


def _vendor_url(video: LibraryVideo) -> str | None:
    for url in (video.preview_url, None if video.link_gone else video.video_url):
        if url and url.startswith("https://"):
            return url
    return None


async def media_urls(
    client: discord.Client, videos: Iterable[LibraryVideo], *, within: float = MEDIA_TIMEOUT
) -> dict[int, str]:
    """For each video, a URL for a media gallery: the attachment of the message that shows it (read again,
    because Discord's attachment links are signed and expire), else the vendor's picture or link. Videos
    with neither are left out of the gallery (their caption and jump link remain)."""

    async def one(video: LibraryVideo) -> tuple[int, str | None]:
        url = None
        if video.thread_id is not None and video.message_id is not None:
            try:
                message = await asyncio.wait_for(client.http.get_message(video.thread_id, video.message_id), within)
                url = _attachment_url(message)
            except discord.HTTPException as error:
                log.info("library: message of job %s unreadable (%s)", video.job_id, error.status)
            except TimeoutError:  # the answer must go out within Discord's three seconds
                log.info("library: message of job %s not read in time", video.job_id)
        return video.job_id, url or _vendor_url(video)

    found = await asyncio.gather(*(one(v) for v in videos))
    return {job_id: url for job_id, url in found if url}
