"""The files that go with a finished video's message: the mp4 when it fits the server's upload limit, and its
preview image, downloaded from the vendor."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import aiohttp

from bot.generation.state import ProgressState
from bot.media.download import MediaError, MediaTooLarge, download_media

log = logging.getLogger(__name__)

PREVIEW_LIMIT: Final = 8 * 1024 * 1024
_PREVIEW_TYPES: Final = (".webp", ".png", ".jpg", ".jpeg", ".gif")


def video_filename(prompt: str) -> str:
    """A readable file name from the prompt: 'a-cow-with-wings.mp4'."""
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:48].strip("-")
    return f"{slug or 'video'}.mp4"


def preview_filename(url: str) -> str:
    """'preview.webp', keeping the image type of the vendor's URL."""
    suffix = next((s for s in _PREVIEW_TYPES if urlsplit(url).path.lower().endswith(s)), ".webp")
    return f"preview{suffix}"


@dataclass(frozen=True, slots=True)
class Attachments:
    """A finished state with its files, and the same state as it reads when it has to go without them."""

    state: ProgressState
    files: Sequence[tuple[str, bytes]]
    link_only_state: ProgressState


async def prepare_attachments(
    session: aiohttp.ClientSession,
    state: ProgressState,
    upload_limit: int,
    *,
    trusted_origins: Sequence[str],
    download_timeout: float,
) -> Attachments:
    """Download the video (and preview) when the video fits `upload_limit`; say why when it does not."""
    assert state.video_url is not None
    link_only = dataclasses.replace(state, video_attached=False, attached_preview=None)
    try:
        video = await download_media(
            session, state.video_url, max_bytes=upload_limit, trusted_origins=trusted_origins, timeout=download_timeout
        )
    except MediaTooLarge:
        too_large = dataclasses.replace(link_only, too_large_limit=upload_limit)
        return Attachments(too_large, (), too_large)
    except MediaError as error:
        log.warning("job %s: video not attached (%s); linking it instead", state.job_id, error)
        return Attachments(link_only, (), link_only)
    files = [(video_filename(state.prompt), video)]
    attached = dataclasses.replace(state, video_attached=True)
    if state.preview_url:
        name = preview_filename(state.preview_url)
        try:
            preview = await download_media(
                session, state.preview_url, max_bytes=PREVIEW_LIMIT, trusted_origins=trusted_origins,
                timeout=download_timeout,
            )
        except MediaError as error:
            log.info("job %s: preview not attached (%s)", state.job_id, error)
        else:
            files.append((name, preview))
            attached = dataclasses.replace(attached, attached_preview=name)
    return Attachments(attached, files, link_only)
