"""The operator's HTTP listener: `/healthz`, `/readyz` and `/metrics`, off unless HTTP_PORT (or --http-port) is set.

* `/healthz`: the process is alive and its event loop responsive: a timer that should fire every
  `LOOP_TICK` seconds did so recently and not later than `LAG_BOUND`. A supervisor restarts a process that
  fails it (the container's HEALTHCHECK asks it).
* `/readyz`: the process can do its work: the checks it is given (gateway shards, database, video service)
  all pass. A load balancer or an operator's dashboard asks it; failing it is no reason to restart.
* `/metrics`: every metric of bot/core/metrics.py, in Prometheus' text format.

Each answers in milliseconds with a JSON body (200 when all is well, 503 otherwise): the checks only read
state that is kept current elsewhere, and each has a bound of its own. Bound to loopback unless HTTP_HOST
says otherwise: the answers name no secret, but they are for the operator, not the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot.core import metrics

log = logging.getLogger(__name__)

LOOP_TICK: Final = 0.25  # seconds between two looks at the event loop's lateness
LAG_BOUND: Final = 2.0  # a loop late by more than this (or silent for longer) is not healthy
CHECK_BOUND: Final = 1.0  # seconds one readiness check may take before it counts as failed


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness finding: whether it passes, and a few words on what was seen."""

    ok: bool
    detail: str


ReadinessCheck = Callable[[], Awaitable[Check]]


class LoopWatch:
    """Measures how late the event loop wakes a timer: a blocked loop shows as lag, or as no tick at all."""

    def __init__(self, tick: float = LOOP_TICK) -> None:
        self._tick = tick
        self.lag = 0.0
        self.last_tick = time.monotonic()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self._tick
            await asyncio.sleep(self._tick)
            self.lag = max(0.0, loop.time() - expected)
            self.last_tick = time.monotonic()
            metrics.LOOP_LAG.set(self.lag)

    def health(self) -> Check:
        silent = time.monotonic() - self.last_tick
        worst = max(self.lag, silent - self._tick)
        return Check(worst <= LAG_BOUND, f"event loop lag {worst * 1000:.0f} ms (bound {LAG_BOUND * 1000:.0f} ms)")


class OpsServer:
    """The listener; `start` binds it, `close` stops it and its loop watch."""

    def __init__(self, host: str, port: int, readiness: Mapping[str, ReadinessCheck]) -> None:
        self._host, self._port = host, port
        self._readiness = dict(readiness)
        self._watch = LoopWatch()
        self._watching: asyncio.Task[None] | None = None
        self._started = time.monotonic()
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._watching = asyncio.create_task(self._watch.run(), name="loop-watch")
        log.info("health, readiness and metrics at http://%s:%d/ (healthz, readyz, metrics)", self._host, self._port)

    async def close(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching
        await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        loop = self._watch.health()
        body = {"ok": loop.ok, "loop": loop.detail, "uptime_seconds": round(time.monotonic() - self._started, 1)}
        return web.json_response(body, status=200 if loop.ok else 503)

    async def _readyz(self, request: web.Request) -> web.Response:
        names = list(self._readiness)
        found = await asyncio.gather(*(_bounded(self._readiness[name]) for name in names))
        checks = dict(zip(names, found, strict=True))
        ok = all(check.ok for check in found)
        body = {"ok": ok, "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()}}
        return web.json_response(body, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(REGISTRY))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response


async def _bounded(check: ReadinessCheck) -> Check:
    try:
        async with asyncio.timeout(CHECK_BOUND):
            return await check()
    except TimeoutError:
        return Check(False, f"no answer within {CHECK_BOUND:g} s")
    except Exception as error:  # a check that breaks says so instead of breaking the endpoint
        return Check(False, f"check failed: {type(error).__name__}")
