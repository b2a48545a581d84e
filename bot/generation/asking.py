"""Pure helpers of what a job asks: the picture as the profile sends it, and the service's reading of the ask.

Kept apart from the engine so that it stays one job: driving a video through the API.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence

import aiohttp

from bot.generation.requests import IMAGE_LIMIT
from bot.media.download import download_media
from bot.store import JobParams
from bot.videoapi import read_echo

__all__ = ["LoadImage", "picture_data_url", "picture_loader", "service_note"]

LoadImage = Callable[[str], Awaitable[bytes]]


def service_note(params: JobParams | None, content: str, conveyed: frozenset[str]) -> str | None:
    """One sentence when the service's reading of the request (its ```json echo) differs from the ask.

    Only options the request told the service are compared: a remix's words alone ask nothing new.
    """
    echo = read_echo(content) if params else None
    if echo is None or params is None:
        return None
    differences = []
    asked = params.orientation
    if "orientation" in conveyed and echo.orientation in ("portrait", "landscape") and echo.orientation != asked:
        differences.append(f"you asked for {params.orientation}; the service made {echo.orientation}")
    if "duration" in conveyed and echo.duration is not None and params.duration is not None \
            and echo.duration != params.duration:
        differences.append(f"you asked for {params.duration} s; the service made {echo.duration} s")
    if not differences:
        return None
    text = ", and ".join(differences)
    return text[0].upper() + text[1:] + "."


def picture_loader(session: aiohttp.ClientSession, trusted_origins: Sequence[str] = ()) -> LoadImage:
    """Fetches a member's picture (Discord's CDN) for profiles that send pictures as data: URLs."""

    async def load(url: str) -> bytes:
        return await download_media(session, url, max_bytes=IMAGE_LIMIT, trusted_origins=trusted_origins)

    return load


def picture_data_url(data: bytes) -> str:
    """The picture as a data: URL, typed by its first bytes (PNG, JPEG or WebP, as /video accepts)."""
    if data.startswith(b"\x89PNG"):
        kind = "image/png"
    elif data.startswith(b"\xff\xd8"):
        kind = "image/jpeg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "image/webp"
    else:
        kind = "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
