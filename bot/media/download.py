"""Download vendor media (mp4, preview) without letting a hostile URL reach internal addresses.

Rules: https only, unless the URL's origin is in the explicit `trusted_origins` list (the simulator and
test servers on 127.0.0.1); every resolved address must be public (`is_public_address`: also the IPv4 address
inside an IPv6 one, NAT64, 6to4, Teredo, mapped or compatible); redirects are followed by
hand, at most three, each hop checked again; the body is streamed and cut off past `max_bytes`.

Videos go to a file (`download_to_file`), written a megabyte at a time from a worker thread, so a download
never holds more than that in memory however large the video; small images come back as bytes
(`download_media`).

DNS rebinding: the name is resolved once, checked, and the connection is then made to that very address
(the URL's host is replaced by the IP, while the Host header, TLS SNI and certificate check keep the
name), so a second, different answer from DNS is never used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit, urlunsplit

import aiohttp

from bot.core.urls import is_public_address, normalize_origin, normalize_origins

__all__ = ["MediaError", "MediaTooLarge", "MediaUnavailable", "UnsafeMediaURL", "download_media", "download_to_file"]

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_FLUSH = 1024 * 1024  # bytes gathered before one write to disk: few thread hops, little memory

Sink = Callable[[bytes], Awaitable[None]]


class MediaError(Exception):
    """Base class; `user_message` is one short sentence fit for Discord."""

    user_message = "The video file couldn't be fetched."


class MediaTooLarge(MediaError):
    """The file is larger than the caller's limit (usually the server's upload limit)."""

    def __init__(self, limit: int):
        super().__init__(f"media larger than {limit} bytes")
        self.limit = limit
        self.user_message = f"The video is larger than the {_human(limit)} limit."


class UnsafeMediaURL(MediaError):
    """The URL is not https, or leads to a private, loopback or otherwise non-public address."""

    user_message = "The video link points somewhere the bot won't open."


class MediaUnavailable(MediaError):
    """404/410, other HTTP errors, timeouts, connection and DNS failures."""

    user_message = "The video link no longer answers."


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} bytes"


async def download_media(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    trusted_origins: Sequence[str] = (),
    timeout: float = 60.0,  # noqa: ASYNC109  (the agreed signature; applied with asyncio.timeout inside)
) -> bytes:
    """Fetch `url` and return its bytes, or raise MediaTooLarge, UnsafeMediaURL or MediaUnavailable.

    For small files (preview images): the whole body is held in memory.
    """
    body = bytearray()

    async def keep(chunk: bytes) -> None:
        body.extend(chunk)

    await _fetch(session, url, sink=keep, max_bytes=max_bytes, trusted_origins=trusted_origins, timeout=timeout)
    return bytes(body)


async def download_to_file(
    session: aiohttp.ClientSession,
    url: str,
    path: Path,
    *,
    max_bytes: int,
    trusted_origins: Sequence[str] = (),
    timeout: float = 60.0,  # noqa: ASYNC109  (applied with asyncio.timeout inside, like download_media)
) -> int:
    """Stream `url` into a new file at `path`; return its size. Raises like `download_media`.

    On any failure, cancellation included, nothing is left at `path`.
    """
    handle: BinaryIO = await asyncio.to_thread(path.open, "xb")
    pending = bytearray()
    size = 0

    async def write(chunk: bytes) -> None:
        nonlocal pending, size
        pending += chunk
        size += len(chunk)
        if len(pending) >= _FLUSH:
            full, pending = bytes(pending), bytearray()
            await asyncio.to_thread(handle.write, full)

    try:
        await _fetch(session, url, sink=write, max_bytes=max_bytes, trusted_origins=trusted_origins, timeout=timeout)
        await asyncio.to_thread(handle.write, bytes(pending))
        await asyncio.to_thread(handle.close)
    except BaseException:
        _discard(handle, path)
        raise
    return size


def _discard(handle: BinaryIO, path: Path) -> None:
    """Close and remove a partial download. Plain calls, not thread hops, on purpose: two quick system calls
    that must happen even when the task is cancelled again while cleaning up."""
    handle.close()
    path.unlink(missing_ok=True)


async def _fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    trusted_origins: Sequence[str],
    timeout: float,  # noqa: ASYNC109
    sink: Sink,
) -> None:
    trusted = normalize_origins(trusted_origins)
    try:
        async with asyncio.timeout(timeout):
            await _download(session, url, max_bytes, trusted, sink)
    except TimeoutError as exc:
        raise MediaUnavailable(f"timed out after {timeout}s") from exc


async def _download(
    session: aiohttp.ClientSession, url: str, max_bytes: int, trusted: frozenset[str], sink: Sink
) -> None:
    client_timeout = aiohttp.ClientTimeout(total=None, sock_connect=15)
    for _hop in range(MAX_REDIRECTS + 1):
        target, headers, server_hostname = await _checked_target(url, trusted)
        try:
            async with session.get(
                target,
                headers=headers,
                server_hostname=server_hostname,
                allow_redirects=False,
                raise_for_status=False,
                timeout=client_timeout,
            ) as resp:
                if resp.status in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise MediaUnavailable(f"redirect {resp.status} without Location")
                    url = urljoin(url, location)
                    continue
                if resp.status >= 400 or resp.status < 200:
                    raise MediaUnavailable(f"HTTP {resp.status}")
                if resp.content_length is not None and resp.content_length > max_bytes:
                    raise MediaTooLarge(max_bytes)
                received = 0
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    received += len(chunk)
                    if received > max_bytes:
                        raise MediaTooLarge(max_bytes)
                    await sink(chunk)
                return
        except (aiohttp.ClientError, OSError) as exc:
            raise MediaUnavailable(f"fetch failed: {type(exc).__name__}") from exc
    raise UnsafeMediaURL(f"more than {MAX_REDIRECTS} redirects")


async def _checked_target(url: str, trusted: frozenset[str]) -> tuple[str, dict[str, str], str | None]:
    """Validate one hop; return (URL to request, extra headers, TLS server name)."""
    try:
        parts = urlsplit(url)
        origin = normalize_origin(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeMediaURL("not an http(s) URL") from exc
    if origin in trusted:
        return url, {}, None
    if parts.scheme.lower() != "https":
        raise UnsafeMediaURL("not https")
    if parts.username is not None or parts.password is not None:
        raise UnsafeMediaURL("credentials in URL")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeMediaURL("malformed host name") from exc
    addresses = await _resolve(host, port or 443)
    if not addresses or not all(is_public_address(a) for a in addresses):  # NAT64, 6to4… checked inside
        raise UnsafeMediaURL("non-public address")
    pinned = addresses[0]
    if str(pinned) == host:
        return url, {}, None  # an IP literal: nothing to pin
    netloc = f"[{pinned}]" if pinned.version == 6 else str(pinned)
    if port is not None:
        netloc += f":{port}"
    target = urlunsplit(("https", netloc, parts.path or "/", parts.query, ""))
    return target, {"Host": host if port is None else f"{host}:{port}"}, host


async def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Resolve without blocking the loop; an IP literal is returned as is."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise MediaUnavailable("host name does not resolve") from exc
    addresses = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
        try:
            addresses.append(ipaddress.ip_address(address))
        except ValueError:
            continue
    return addresses
