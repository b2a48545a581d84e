"""The files that go with a finished video's message: the mp4 (re-encoded when it is larger than the server's
upload limit) and its image (the vendor's preview, or a frame of the video when the vendor gave none)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from bot.generation.state import ProgressState
from bot.media.prepare import MediaPreparer, NotAttached

POSTER_NAME: Final = "poster.jpg"
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
    """A finished state with its files (on disk until the block that made them ends), and the same state as it
    reads when it has to go without them."""

    state: ProgressState
    files: Sequence[tuple[str, Path]]
    link_only_state: ProgressState


@contextlib.asynccontextmanager
async def prepared_attachments(
    preparer: MediaPreparer, state: ProgressState, upload_limit: int, *, on_reencode: Callable[[], None] | None = None,
    guild_id: int | None = None,
) -> AsyncIterator[Attachments]:
    """The video and its image, made ready for `upload_limit`, and the state that says how; send them inside
    the block. `guild_id`'s videos take their turn with other servers' for an encoder."""
    assert state.video_url is not None
    plain = dataclasses.replace(state, video_attached=False, attached_preview=None, reencoded_for=None)
    async with preparer.prepare(
        state.video_url, limit=upload_limit, preview_url=state.preview_url, on_reencode=on_reencode, owner=guild_id
    ) as ready:
        files: list[tuple[str, Path]] = []
        if ready.video is not None:
            files.append((video_filename(state.prompt), ready.video))
            shown = dataclasses.replace(plain, video_attached=True,
                                        reencoded_for=upload_limit if ready.reencoded else None)
            link_only = plain
        elif ready.not_attached in (NotAttached.TOO_LARGE, NotAttached.UNFITTABLE):
            shown = link_only = dataclasses.replace(
                plain, too_large_limit=upload_limit, fit_failed=ready.not_attached is NotAttached.UNFITTABLE
            )
        elif ready.not_attached is NotAttached.UNPREPARABLE:  # fit_failed without a limit: "could not be prepared"
            shown = link_only = dataclasses.replace(plain, fit_failed=True)
        else:
            shown = link_only = plain
        if ready.image is not None:
            vendor_preview = state.preview_url if not ready.image_is_poster else None
            name = preview_filename(vendor_preview) if vendor_preview else POSTER_NAME
            files.append((name, ready.image))
            shown = dataclasses.replace(shown, attached_preview=name)
        yield Attachments(shown, files, link_only)
