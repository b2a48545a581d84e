"""Fixtures for the media tests: real videos, a file server on 127.0.0.1, a workspace and the workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.media.processes import MediaProcesses
from bot.media.workspace import MediaWorkspace
from tests.local_server import serving
from tests.media.samples import samples

__all__ = ["FileServer", "contents", "samples", "until"]


def contents(directory: Path) -> list[str]:
    """Names in a directory, sorted."""
    return sorted(p.name for p in directory.iterdir())


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait until `condition()` holds; fail naming `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)


class FileServer:
    """Serves files by name: `/NAME` with a Content-Length, `/chunked/NAME` without one (the size is only
    known while reading), `/slow/NAME` a trickle that takes seconds. Counts the bytes it sent."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.base = ""
        self.sent = 0
        self.app = web.Application()
        self.app.router.add_get("/{mode:(chunked|slow)}/{name}", self.stream)
        self.app.router.add_get("/{name}", self.whole)

    def add(self, path: Path, name: str | None = None) -> str:
        """Serve `path`; return its URL."""
        name = name or path.name
        self.files[name] = path
        return f"{self.base}/{name}"

    def url(self, name: str, mode: str = "") -> str:
        return f"{self.base}/{mode + '/' if mode else ''}{name}"

    async def whole(self, request: web.Request) -> web.StreamResponse:
        path = self.files.get(request.match_info["name"])
        if path is None:
            return web.Response(status=404)
        self.sent += path.stat().st_size
        return web.FileResponse(path, headers={"Content-Type": "video/mp4"})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        path = self.files.get(request.match_info["name"])
        if path is None:
            return web.Response(status=404)
        slow = request.match_info["mode"] == "slow"
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(4096 if slow else 256 * 1024):
                    await response.write(chunk)
                    self.sent += len(chunk)
                    if slow:
                        await asyncio.sleep(0.05)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass  # the client stopped reading: what a size cap or a cancellation does
        return response


@pytest.fixture
async def file_server() -> AsyncIterator[FileServer]:
    server = FileServer()
    async with serving(server.app) as server.base:
        yield server


@pytest.fixture
async def workspace(tmp_path: Path) -> AsyncIterator[MediaWorkspace]:
    """A workspace whose scratch files must all be gone by the end of the test."""
    space = await MediaWorkspace.open(tmp_path / "media-tmp")
    yield space
    leftovers = space.files()
    await space.close()
    assert leftovers == [], f"scratch files left behind: {leftovers}"
    assert not space.directory.exists()


@pytest.fixture
async def processes() -> AsyncIterator[MediaProcesses]:
    """Media workers; every one must have ended by the end of the test."""
    workers = MediaProcesses()
    yield workers
    running = workers.running
    await workers.close()
    assert running == 0, "a media worker outlived its test"
