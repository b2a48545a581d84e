"""From a finished video's URL to files ready to upload: the video itself, re-encoded to fit the server's
upload limit when it is larger, and its image: the vendor's preview, or a frame of the video when the vendor
gave none (or none that could be fetched).

The files live in the workspace only for the `async with` block of `MediaPreparer.prepare`, long enough to
upload them, and are removed when it ends, however it ends.

The vendor's file is hostile until a worker has read it under its limits. A file a worker refused (too many
pixels, an absurd duration, too many streams), or that killed its worker (out of memory, out of CPU time), is
not uploaded: it is linked, and the message says the video could not be prepared. Whatever else goes wrong
while preparing (a bug included) ends the same way: `prepare` never raises, except when it is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import aiohttp

from bot.media.download import MediaError, MediaTooLarge, download_to_file
from bot.media.plan import EncodePlan, Unfittable, fit_plan, squeeze_after
from bot.media.processes import EncodeFailed, Inspection, MediaProcesses, NotAVideo
from bot.media.workspace import MediaWorkspace

__all__ = ["MAX_SOURCE_BYTES", "MediaPreparer", "NotAttached", "PreparedVideo"]

log = logging.getLogger(__name__)

# Generated clips run 4 to 25 s; even at 1080p vendors' files stay far below this. A larger file would take
# minutes to fetch and encode on a small machine, and fill its disk when several arrive at once: it is linked.
MAX_SOURCE_BYTES: Final = 64 * 1024 * 1024
PREVIEW_BYTES: Final = 8 * 1024 * 1024  # a preview image larger than this is not worth uploading
# Reading a video that fits as it is (its declarations, and a poster frame when the vendor gave no preview) is
# worth a moment, not a place in a queue: when videos finish together (a restart recovering hundreds, say),
# those that find the inspector busy go as they came rather than wait for it.
POSTER_PATIENCE: Final = 3.0
ATTEMPTS: Final = 2  # a second encode, squeezed by how far the first missed, when the first came out too large


class NotAttached(StrEnum):
    """Why a finished video is linked rather than uploaded."""

    TOO_LARGE = "too_large"  # larger than the limit, and re-encoding is turned off
    UNFITTABLE = "unfittable"  # no re-encode fits the limit and still looks acceptable
    UNAVAILABLE = "unavailable"  # the file could not be fetched (or may not be fetched)
    UNPREPARABLE = "unpreparable"  # a worker refused the file or died of it, or preparing it failed otherwise


@dataclass(frozen=True, slots=True)
class PreparedVideo:
    """What to upload with a finished video's message."""

    video: Path | None  # None: link the video instead, because of `not_attached`
    not_attached: NotAttached | None = None
    reencoded: bool = False  # `video` was re-encoded to fit the limit
    original_bytes: int | None = None  # size of the vendor's file, when it was fetched
    image: Path | None = None  # the vendor's preview image, else a frame of the video (see `image_is_poster`)
    image_is_poster: bool = False  # `image` is a JPEG frame taken from the video


class MediaPreparer:
    """Fetches, fits and frames finished videos. Owns nothing: the workspace and workers are the caller's."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        workspace: MediaWorkspace,
        processes: MediaProcesses,
        *,
        trusted_origins: Sequence[str] = (),
        reencode: bool = True,
        max_source_bytes: int = MAX_SOURCE_BYTES,
        download_timeout: float = 120.0,
    ) -> None:
        self._session = session
        self._workspace = workspace
        self._processes = processes
        self._trusted = tuple(trusted_origins)
        self._reencode = reencode
        self._max_source = max_source_bytes
        self._download_timeout = download_timeout

    @contextlib.asynccontextmanager
    async def prepare(
        self, url: str, *, limit: int, preview_url: str | None = None, on_reencode: Callable[[], None] | None = None,
        owner: Hashable = None,
    ) -> AsyncIterator[PreparedVideo]:
        """The video at `url` made ready for an upload limit of `limit` bytes, with its image.

        `on_reencode` is called when a re-encode starts (it can take a while: say so). `owner` (the server)
        takes its turn with the others for an encoder. Upload the files inside the block: they are removed when
        it ends.
        """
        scratch = self._workspace.scratch
        with (
            scratch("source.mp4") as source,
            scratch("fitted.mp4") as fitted,
            scratch("poster.jpg") as frame,
            scratch("preview") as preview,
        ):
            try:
                image = await self._preview(preview_url, preview) if preview_url else None
                ready = await self._prepare(url, limit, source, fitted, frame=None if image else frame,
                                            on_reencode=on_reencode, owner=owner)
            except Exception:  # a bug must not cost the member their video: it is linked, and logged
                log.exception("preparing the video %s failed; linking it", url)
                image, ready = None, PreparedVideo(None, NotAttached.UNPREPARABLE)
            if image is not None:
                ready = dataclasses.replace(ready, image=image)
            yield ready

    async def _preview(self, url: str, target: Path) -> Path | None:
        try:
            await download_to_file(
                self._session, url, target, max_bytes=PREVIEW_BYTES, trusted_origins=self._trusted,
                timeout=self._download_timeout,
            )
        except MediaError as error:
            log.info("preview %s not fetched (%s); a frame of the video will do", url, error)
            return None
        return target

    async def _prepare(
        self, url: str, limit: int, source: Path, fitted: Path, *, frame: Path | None,
        on_reencode: Callable[[], None] | None, owner: Hashable,
    ) -> PreparedVideo:
        cap = max(limit, self._max_source) if self._reencode else limit
        try:
            size = await download_to_file(
                self._session, url, source, max_bytes=cap, trusted_origins=self._trusted,
                timeout=self._download_timeout,
            )
        except MediaTooLarge:
            reason = NotAttached.UNFITTABLE if self._reencode else NotAttached.TOO_LARGE
            return PreparedVideo(None, reason)
        except MediaError as error:
            log.warning("video %s not fetched (%s); linking it", url, error)
            return PreparedVideo(None, NotAttached.UNAVAILABLE)
        fits = size <= limit
        # Read by a worker before anything is uploaded: a file that fits can still be a decoder bomb for every
        # member's client. A file too large is inspected in full (it is re-encoded from what is found).
        inspection = await (self._inspect(source, frame) if not fits else self._screen(source, frame))
        if inspection is NotAttached.UNPREPARABLE:  # refused by a worker's limits, or it died of the file
            return PreparedVideo(None, NotAttached.UNPREPARABLE, original_bytes=size)
        poster = frame if isinstance(inspection, Inspection) and inspection.poster is not None else None
        if fits:
            ready = PreparedVideo(source, original_bytes=size)
        elif not isinstance(inspection, Inspection):  # not a video we can read: there is nothing to re-encode
            ready = PreparedVideo(None, NotAttached.UNFITTABLE, original_bytes=size)
        else:
            if on_reencode is not None:
                on_reencode()
            missed = await self._fit(source, fitted, inspection, limit, owner)
            ready = PreparedVideo(None if missed else fitted, missed, reencoded=missed is None, original_bytes=size)
        return dataclasses.replace(ready, image=poster, image_is_poster=poster is not None)

    async def _screen(self, source: Path, frame: Path | None) -> Inspection | NotAttached | None:
        """A quick inspection of a video that fits (with a poster frame when `frame` is given), or none when the
        inspector is busy."""
        if self._processes.inspector_busy:
            log.info("%s goes unread and without a poster frame: the inspector is busy", source.name)
            return None
        try:
            async with asyncio.timeout(POSTER_PATIENCE):
                return await self._inspect(source, frame)
        except TimeoutError:
            log.info("%s goes unread and without a poster frame: the inspector is busy", source.name)
            return None

    async def _inspect(self, source: Path, frame: Path | None) -> Inspection | NotAttached | None:
        """What a worker found; None when the file is no video it can read, UNPREPARABLE when the worker refused
        the file or died of it."""
        try:
            return await self._processes.inspect(source, poster=frame)
        except NotAVideo as error:
            log.warning("could not read the video %s: %s", source.name, error)
            return None
        except EncodeFailed as error:
            log.warning("the video %s could not be prepared: %s", source.name, error)
            return NotAttached.UNPREPARABLE

    async def _fit(
        self, source: Path, target: Path, inspection: Inspection, limit: int, owner: Hashable
    ) -> NotAttached | None:
        """Re-encode `source` into `target` under `limit`; None when it fits, else why it is linked instead."""
        info, squeeze = inspection.info, 1.0
        for attempt in range(1, ATTEMPTS + 1):
            plan: EncodePlan | Unfittable = fit_plan(info, limit, squeeze=squeeze)
            if isinstance(plan, Unfittable):
                log.info("video of %d bytes, %.1f s not fitted under %d bytes: %s",
                         info.size, info.duration, limit, plan.reason)
                return NotAttached.UNFITTABLE
            try:
                produced = await self._processes.encode(source, target, plan, owner=owner)
            except (NotAVideo, EncodeFailed) as error:
                log.warning("re-encoding %s failed: %s", source.name, error)
                return NotAttached.UNPREPARABLE
            log.info("re-encoded %d bytes into %d (limit %d) at %dx%d, %d + %d bit/s, attempt %d",
                     info.size, produced, limit, plan.width, plan.height, plan.video_bitrate, plan.audio_bitrate,
                     attempt)
            if produced <= limit:
                return None
            squeeze = squeeze_after(produced, limit, squeeze)
        return NotAttached.UNFITTABLE
