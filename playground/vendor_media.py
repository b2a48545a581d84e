"""The video service's media links, served for real: the simulator's links point here (its
``media_base_url``), and each one answers with a playable MP4 or a PNG preview of the same scene, in
colours drawn from the prompt, so the page plays a different video for every request.

Rendering is pure Python, so it runs in a worker thread, once per file (cached).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from aiohttp import web

from bot.core.tasks import log_crash
from bot.videoapi.simulator import Simulator
from playground.clip import Scene, render_mp4, render_png

CACHED_FILES = 64


class VendorMedia:
    """``GET /media/{name}`` for the simulator's tasks."""

    def __init__(self, simulator: Simulator) -> None:
        self._simulator = simulator
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._rendering: dict[str, asyncio.Future[bytes]] = {}

    def install(self, app: web.Application) -> None:
        """Add the route."""
        app.router.add_get("/media/{name}", self.serve)
        app.router.add_get("/media/download/{name}", self.serve)

    async def serve(self, request: web.Request) -> web.Response:
        """The file, or 404 for a name that is not one of the simulator's finished tasks."""
        name = request.match_info["name"]
        task = self._simulator.media_task(name)
        if task is None:
            raise web.HTTPNotFound(text="no such media")
        ext = name.rsplit(".", 1)[-1]
        data = await self._file(name, Scene.for_prompt(task.prompt, task.orientation), ext)
        # The preview keeps the vendor's .webp name but is a PNG, like the simulator's own; browsers sniff it.
        content_type = "video/mp4" if ext == "mp4" else "image/png"
        return web.Response(body=data, content_type=content_type, headers={"Cache-Control": "max-age=3600"})

    async def close(self) -> None:
        """Wait for renderings under way (a worker thread cannot be interrupted; they take well under a second)."""
        pending = list(self._rendering.values())
        self._rendering.clear()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _file(self, name: str, scene: Scene, ext: str) -> bytes:
        cached = self._cache.get(name)
        if cached is not None:
            self._cache.move_to_end(name)
            return cached
        pending = self._rendering.get(name)
        if pending is None:
            render = render_mp4 if ext == "mp4" else render_png
            # Shielded: one download giving up must not cancel the rendering other requests wait for.
            pending = asyncio.ensure_future(asyncio.to_thread(render, scene))
            pending.add_done_callback(log_crash)
            self._rendering[name] = pending
        try:
            data = await asyncio.shield(pending)
        finally:
            if pending.done():
                self._rendering.pop(name, None)
        self._cache[name] = data
        while len(self._cache) > CACHED_FILES:
            self._cache.popitem(last=False)
        return data
