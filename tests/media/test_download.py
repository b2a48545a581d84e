"""Media downloads: real bytes from trusted test origins, nothing from hostile or private places."""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.media.download import MediaTooLarge, MediaUnavailable, UnsafeMediaURL, download_media, download_to_file
from tests.local_server import serving
from tests.media.conftest import FileServer, contents, until

VIDEO = bytes(range(256)) * 400  # 102,400 bytes


class MediaServer:
    """A small server on 127.0.0.1 with the routes the tests need, counting the requests it gets."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.base = ""
        self.app = web.Application()
        self.app.router.add_route("GET", "/{name:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits.append(name)
        if name == "video.mp4":
            return web.Response(body=VIDEO, content_type="video/mp4")
        if name == "chunked.mp4":  # no Content-Length: the size is only known while reading
            resp = web.StreamResponse()
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            try:
                for i in range(0, len(VIDEO), 8192):
                    await resp.write(VIDEO[i : i + 8192])
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                pass
            return resp
        if name == "trickle.mp4":  # half the video, then nothing for a long while
            resp = web.StreamResponse()
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            try:
                await resp.write(VIDEO[: len(VIDEO) // 2])
                await asyncio.sleep(30)
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                pass
            return resp
        if name == "gone.mp4":
            return web.Response(status=410)
        if name == "slow.mp4":
            await asyncio.sleep(5)
            return web.Response(body=b"late")
        if name.startswith("redirect/"):
            raise web.HTTPFound(name.removeprefix("redirect/").replace("~", "://", 1) if "~" in name else
                                "/" + name.removeprefix("redirect/"))
        if name.startswith("loop/"):
            raise web.HTTPFound(f"/loop/{int(name.split('/')[1]) + 1}")
        return web.Response(status=404)


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    server = MediaServer()
    async with serving(server.app) as server.base:
        yield server


Fetch = Callable[..., Awaitable[bytes]]


@pytest.fixture
def fetch(media: MediaServer, http: aiohttp.ClientSession) -> Fetch:
    async def run(url: str, *, max_bytes: int = 1_000_000, trusted: bool = True, limit: float = 5.0) -> bytes:
        origins = (media.base,) if trusted else ()
        return await download_media(http, url, max_bytes=max_bytes, trusted_origins=origins, timeout=limit)

    return run


async def test_trusted_origin_delivers_the_bytes(media: MediaServer, fetch: Fetch) -> None:
    assert await fetch(f"{media.base}/video.mp4") == VIDEO


async def test_plain_http_is_refused_unless_the_origin_is_trusted(media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(UnsafeMediaURL) as info:
        await fetch(f"{media.base}/video.mp4", trusted=False)
    assert media.hits == []
    assert info.value.user_message


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/video.mp4",
        "https://localhost/video.mp4",
        "https://127.1/video.mp4",
        "https://0x7f000001/video.mp4",
        "https://2130706433/video.mp4",
        "https://[::1]/video.mp4",
        "https://[::ffff:127.0.0.1]/video.mp4",
        "https://10.1.2.3/video.mp4",
        "https://169.254.169.254/latest/meta-data",
        "https://user:pw@cdn.example.com/video.mp4",
        "ftp://cdn.example.com/video.mp4",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
async def test_private_loopback_and_odd_urls_are_refused_without_a_request(
    url: str, media: MediaServer, fetch: Fetch
) -> None:
    with pytest.raises(UnsafeMediaURL):
        await fetch(url, trusted=False)
    assert media.hits == []


async def test_declared_size_over_the_limit_is_refused_before_reading(media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(MediaTooLarge) as info:
        await fetch(f"{media.base}/video.mp4", max_bytes=80 * 1024)
    assert info.value.limit == 81920
    assert info.value.user_message == "The video is larger than the 80 KB limit."


async def test_undeclared_size_is_cut_off_while_streaming(media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(MediaTooLarge):
        await fetch(f"{media.base}/chunked.mp4", max_bytes=50_000)
    assert await fetch(f"{media.base}/chunked.mp4", max_bytes=len(VIDEO)) == VIDEO


@pytest.mark.parametrize("name", ["missing.mp4", "gone.mp4"])
async def test_expired_links_are_unavailable(name: str, media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(MediaUnavailable) as info:
        await fetch(f"{media.base}/{name}")
    assert info.value.user_message == "The video link no longer answers."


async def test_a_redirect_within_the_trusted_origin_is_followed(media: MediaServer, fetch: Fetch) -> None:
    assert await fetch(f"{media.base}/redirect/video.mp4") == VIDEO
    assert media.hits == ["redirect/video.mp4", "video.mp4"]


@pytest.mark.parametrize("target", ["http~169.254.169.254/latest", "https~127.0.0.1/x", "https~localhost/x"])
async def test_a_redirect_into_a_private_address_is_refused(target: str, media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(UnsafeMediaURL):
        await fetch(f"{media.base}/redirect/{target}")
    assert media.hits == [f"redirect/{target}"]


async def test_redirect_chains_are_capped(media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(UnsafeMediaURL):
        await fetch(f"{media.base}/loop/0")
    assert len(media.hits) == 4  # the first request and three redirects


async def test_a_stalled_server_times_out(media: MediaServer, fetch: Fetch) -> None:
    with pytest.raises(MediaUnavailable):
        await fetch(f"{media.base}/slow.mp4", limit=0.1)


async def test_nobody_listening_is_unavailable(http: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with pytest.raises(MediaUnavailable):
        await download_media(http, f"{base}/video.mp4", max_bytes=1000, trusted_origins=(base,))


# -- to a file -------------------------------------------------------------------------------------------


async def test_a_download_to_a_file_holds_exactly_the_bytes(media: MediaServer, http: aiohttp.ClientSession,
                                                            tmp_path: Path) -> None:
    target = tmp_path / "video.mp4"
    size = await download_to_file(http, f"{media.base}/chunked.mp4", target, max_bytes=len(VIDEO),
                                  trusted_origins=(media.base,))
    assert size == len(VIDEO)
    assert target.read_bytes() == VIDEO


@pytest.mark.parametrize("name", ["video.mp4", "chunked.mp4"])  # size declared up front, or found while reading
async def test_a_file_over_the_cap_leaves_nothing_behind(name: str, media: MediaServer, http: aiohttp.ClientSession,
                                                         tmp_path: Path) -> None:
    with pytest.raises(MediaTooLarge):
        await download_to_file(http, f"{media.base}/{name}", tmp_path / "video.mp4", max_bytes=50_000,
                               trusted_origins=(media.base,))
    assert contents(tmp_path) == []


async def test_a_failed_download_leaves_nothing_behind(media: MediaServer, http: aiohttp.ClientSession,
                                                       tmp_path: Path) -> None:
    with pytest.raises(MediaUnavailable):
        await download_to_file(http, f"{media.base}/gone.mp4", tmp_path / "video.mp4", max_bytes=50_000,
                               trusted_origins=(media.base,))
    assert contents(tmp_path) == []


async def test_a_cancelled_download_leaves_nothing_behind(media: MediaServer, http: aiohttp.ClientSession,
                                                          tmp_path: Path) -> None:
    target = tmp_path / "video.mp4"
    task = asyncio.create_task(download_to_file(http, f"{media.base}/trickle.mp4", target, max_bytes=len(VIDEO),
                                                trusted_origins=(media.base,)))
    await until(lambda: "trickle.mp4" in media.hits, "the download to start")
    await asyncio.sleep(0.1)  # half the body has arrived and waits in the file's buffer
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert contents(tmp_path) == []


async def test_a_large_download_is_never_held_in_memory(file_server: FileServer, http: aiohttp.ClientSession,
                                                        tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * (128 * 1024))  # 32 MiB
    file_server.add(source)
    target = tmp_path / "copy.bin"
    tracemalloc.start()
    try:
        size = await download_to_file(http, file_server.url("big.bin", "chunked"), target, max_bytes=64 * 1024 * 1024,
                                      trusted_origins=(file_server.base,))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == source.stat().st_size and target.read_bytes() == source.read_bytes()
    assert peak < 6 * 1024 * 1024, f"{peak} bytes held at once"
