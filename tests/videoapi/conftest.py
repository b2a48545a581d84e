"""Fixtures: the simulator on a real socket, a client pointed at it, and raw byte-level test servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.videoapi import Transcript, VideoAPI, VideoAPIError
from bot.videoapi.simulator import Simulator
from tests.local_server import serving

API_KEY = "sk-test-0123456789abcdef"
USER_TURN = [{"role": "user", "content": "A cow with wings flying over a farm at sunset"}]


def make_api(base_url: str, session: aiohttp.ClientSession, **overrides: object) -> VideoAPI:
    """A client with test-friendly timings (tiny backoff, short read timeout)."""
    options: dict = {"read_timeout": 5.0, "deadline": 30.0, "max_attempts": 5, "backoff": 0.01}
    options.update(overrides)
    return VideoAPI(base_url, options.pop("api_key", API_KEY), session, **options)


@pytest.fixture
def api(simulator: Simulator, http: aiohttp.ClientSession) -> VideoAPI:
    assert simulator.base_url is not None
    return make_api(simulator.base_url, http, trusted_media_origins=(simulator.media_origin,))


@dataclass
class StreamResult:
    snapshots: list[Transcript] = field(default_factory=list)
    error: VideoAPIError | None = None
    retries: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def final(self) -> Transcript:
        assert self.error is None, f"stream raised {self.error!r}"
        return self.snapshots[-1]


async def run_stream(api: VideoAPI, messages: Sequence[dict] = USER_TURN, model: str = "sora-2") -> StreamResult:
    """Drain stream_chat, keeping every snapshot, the error if any, and the retry notices."""
    result = StreamResult()

    async def on_retry(attempt: int, total: int, error: VideoAPIError) -> None:
        result.retries.append((attempt, total, type(error).__name__))

    try:
        async for snap in api.stream_chat(model, list(messages), on_retry=on_retry):
            result.snapshots.append(snap)
    except VideoAPIError as exc:
        result.error = exc
    return result


@dataclass
class RawReply:
    """What a raw test server writes: status, headers, body chunks, and whether to cut the connection."""

    chunks: Sequence[bytes] = ()
    status: int = 200
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0


RawServer = Callable[..., Awaitable[str]]


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    """Start servers that write exactly the given bytes, chunk by chunk (for odd framing)."""
    servers = contextlib.AsyncExitStack()

    async def start(*replies: RawReply) -> str:
        queue = list(replies)

        async def handler(request: web.Request) -> web.StreamResponse:
            await request.read()
            reply = queue.pop(0) if len(queue) > 1 else queue[0]
            resp = web.StreamResponse(status=reply.status, headers=reply.headers)
            resp.content_type = reply.content_type
            await resp.prepare(request)
            try:
                for chunk in reply.chunks:
                    await resp.write(chunk)
                    if reply.delay:
                        await asyncio.sleep(reply.delay)
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                return resp
            if reply.drop:
                assert request.transport is not None
                request.transport.close()
                return resp
            await resp.write_eof()
            return resp

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        return await servers.enter_async_context(serving(app))

    async with servers:
        yield start
