"""How the simulator writes a chat stream: SSE framing, pacing, keep-alives, a drop or an error event."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiohttp import web

from .dialects import Links, first_paced, script
from .scenario import SimTask

__all__ = ["stream_task"]

log = logging.getLogger(__name__)


class _Dropped(Exception):
    """The scenario asked to drop the connection."""


async def stream_task(request: web.Request, task: SimTask, links: Links) -> web.StreamResponse:
    """Write `task`'s chat stream as its Scenario says: pace, keep-alives, framing, drops, the end."""
    sc = task.scenario
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)
    le = sc.line_ending
    prefix = "data: " if sc.data_space else "data:"
    sent = 0

    async def write(raw: str) -> None:
        data = raw.encode("utf-8")
        size = sc.chunk_size or len(data)
        for i in range(0, len(data), size):
            await resp.write(data[i : i + size])

    async def event(obj: dict[str, Any]) -> None:
        nonlocal sent
        await write(prefix + json.dumps(obj, ensure_ascii=False) + le + le)
        sent += 1
        if sc.drop_after_chunks is not None and sent >= sc.drop_after_chunks:
            raise _Dropped

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{task.key}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": task.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    async def pause() -> None:
        # Keep-alives go out mid-pause, as a real upstream's would during a long queue.
        if sc.keepalive:
            await asyncio.sleep(sc.step_delay / 2)
            await write(": keep-alive" + le + le)
            await asyncio.sleep(sc.step_delay / 2)
        elif sc.step_delay:
            await asyncio.sleep(sc.step_delay)

    pieces = script(task, links)
    paced_from = first_paced(pieces)
    try:
        if sc.keepalive:
            await write(": keep-alive" + le + le)
        await event(chunk({"role": "assistant", "content": ""}))
        for index, (channel, piece, step) in enumerate(pieces):
            if step is not None and index > paced_from:
                await pause()
            await event(chunk({channel: piece} if channel else {}))
            if step is not None:
                task.step = max(task.step, step)
        if sc.error_code:
            await event({"error": {"message": sc.failure_reason, "type": "upstream_error", "code": sc.error_code}})
        else:
            await event(chunk({}, "STOP" if sc.dialect == "gateway" else "stop"))
        task.finished_at = time.monotonic()
        if sc.send_done:
            await write(prefix + "[DONE]" + le + le)
    except _Dropped:
        log.debug("simulator dropping the stream of %s after %d chunks", task.full_id, sent)
        if request.transport is not None:
            request.transport.close()
        return resp
    await resp.write_eof()
    return resp
