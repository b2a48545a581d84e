"""The page's HTTP server: the static client, its API and websocket, and the video service's media.

It listens on 127.0.0.1 only. Because any web site the visitor opens could still send requests to that
address, it answers only requests addressed to itself (Host, against DNS rebinding) and accepts writes and
websockets only from its own page (Origin). The page gets a Content-Security-Policy that allows nothing but
this server and the stand-in's CDN: no inline script, nothing fetched from the network.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Installer = Callable[[web.Application], None]


class PageServer:
    """Reserves its port first (so its origin is known to the simulator's media links); the parts add routes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        self.app = web.Application(middlewares=[self._same_origin_only], client_max_size=64 * 1024 * 1024)
        self.app.router.add_get("/", self._index)
        self.app.router.add_static("/static/", STATIC, follow_symlinks=False)
        self.cdn_origin = ""  # the stand-in's attachment CDN, allowed by the page's policy
        self.origin = ""

    def add(self, install: Installer) -> None:
        """Let a part (API, feed, media) add its routes, before ``start``."""
        install(self.app)

    def reserve(self) -> str:
        """Bind the listening socket now (routes can still be added); returns the origin, e.g.
        ``http://127.0.0.1:8770``. A port already taken falls back to any free one."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            if not self._port:
                raise
            sock.bind((self._host, 0))
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        host, port = sock.getsockname()[:2]
        self.origin = f"http://{host}:{port}"
        return self.origin

    async def start(self) -> None:
        """Serve on the reserved socket."""
        assert self._socket is not None, "reserve() first"
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    @property
    def allowed_hosts(self) -> frozenset[str]:
        port = self.origin.rsplit(":", 1)[-1]
        return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})

    @web.middleware
    async def _same_origin_only(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.host not in self.allowed_hosts:
            raise web.HTTPMisdirectedRequest(text="this server only answers to its own address")
        writes = request.method not in ("GET", "HEAD") or request.headers.get("Upgrade", "").lower() == "websocket"
        origin = request.headers.get("Origin")
        allowed = {f"http://{h}" for h in self.allowed_hosts}
        if writes and origin not in allowed:
            raise web.HTTPForbidden(text="only the playground's own page may do this")
        return await handler(request)

    async def _index(self, request: web.Request) -> web.FileResponse:
        ws_origin = f"ws://{request.host}"
        policy = "; ".join(
            (
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                f"img-src 'self' {self.cdn_origin} data: blob:",
                f"media-src 'self' {self.cdn_origin} blob:",
                f"connect-src 'self' {ws_origin}",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            )
        )
        return web.FileResponse(
            STATIC / "index.html", headers={"Content-Security-Policy": policy, "Cache-Control": "no-store"}
        )
