"""The two stand-ins of bench/scale.py, each run in a process of its own (`scale.py --serve discord|vendor`),
with a small control API for the benchmark: the stand-in Discord asks the videos and measures what its
members saw; the vendor stand-in says when it finished each video. Both clocks are the machine's monotonic
clock, which every process shares."""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import math
from itertools import pairwise
from typing import Any

from aiohttp import web
from harness import EXEMPT, Endings, percentile

from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import Channel, FakeDiscord, RateLimits, User
from fakediscord.interactions import InteractionRecord

STEPS = (5, 12, 20, 28, 36, 44, 52, 60, 68, 76, 84, 92)
MEMBERS_PER_CHANNEL = 100


async def _serve(app: web.Application, where: dict[str, Any]) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({**where, "control_url": f"http://127.0.0.1:{port}"}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def serve_vendor(stream: str, video_bytes: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    step = float(stream) / (len(STEPS) + 3)  # pending, queued, the progress steps, done
    simulator = Simulator(Scenario(queue_steps=1, progress_steps=STEPS, step_delay=step,
                                   video_bytes=int(video_bytes)))
    await simulator.start()
    app = web.Application()

    async def report(request: web.Request) -> web.Response:
        done = [t.finished_at for t in simulator.tasks.values() if t.finished_at is not None]
        return web.json_response({"tasks": len(simulator.tasks), "finished_at": done})

    app.router.add_get("/report", report)
    try:
        await _serve(app, {"base_url": simulator.base_url, "raw_data_url": simulator.raw_data_url,
                           "media_origin": simulator.media_origin})
    finally:
        await simulator.close()


class Launch:
    """Servers on every shard, members spread over them, and the moment they all ask."""

    def __init__(self, fake: FakeDiscord, shards: int, members: int, servers_per_shard: int) -> None:
        self.fake, self.shards = fake, shards
        owner = fake.create_user("owner")
        guilds = [fake.create_guild(f"shard {s} server {g}", owner, shard=(s, shards))
                  for s in range(shards) for g in range(servers_per_shard)]
        self.asks: list[tuple[User, Channel]] = []
        per_guild = math.ceil(members / len(guilds))
        for g, guild in enumerate(guilds):
            count = min(per_guild, members - g * per_guild)
            channels = [guild.create_text_channel(f"video-lab-{c}")
                        for c in range(max(1, math.ceil(count / MEMBERS_PER_CHANNEL)))]
            for k in range(max(0, count)):
                user = fake.create_user(f"m{g}-{k}")
                guild.add_member(user)
                self.asks.append((user, channels[k // MEMBERS_PER_CHANNEL]))
        self.interactions: list[InteractionRecord] = []
        self.task: asyncio.Task[None] | None = None
        self.lag_task: asyncio.Task[None] | None = None

    def ready(self) -> bool:
        fake = self.fake
        connected = all((s, self.shards) in fake.gateway.shards for s in range(self.shards))
        return connected and any(r.method == "PUT" and "/commands" in r.path for r in fake.requests)

    async def drive(self, ramp: float) -> None:
        """Every member asks: all in the same instant, or evenly over `ramp` seconds (one process stands in for
        Discord here, and its event loop, not the bot, is what a burst of thousands first overwhelms)."""
        # Nothing here waits on the interactions (a waiter per interaction would re-check on every change of
        # the stand-in and take its event loop from the requests it measures): `progress` looks when asked.
        slices = max(1, int(ramp / 0.05))
        per_slice = math.ceil(len(self.asks) / slices)
        loop = asyncio.get_running_loop()
        began = loop.time()
        for s in range(slices):
            batch = self.asks[s * per_slice:(s + 1) * per_slice]
            self.interactions += await asyncio.gather(*(
                self.fake.slash(user, channel, "video", prompt=f"scale video {k}") for k, (user, channel) in
                enumerate(batch, start=s * per_slice)
            ))
            await asyncio.sleep(max(0.0, began + (s + 1) * 0.05 - loop.time()))

    def progress(self) -> dict[str, Any]:
        acked = sum(1 for i in self.interactions if i.response is not None)
        posts = [i.original_message_id for i in self.interactions if i.original_message_id and not i.loading]
        ended = Endings(self.fake, [p for p in posts if p is not None])()
        return {"asked": len(self.interactions), "acked": acked, "posted": len(posts), "ended": ended}

    def report(self) -> dict[str, Any]:
        fake = self.fake
        acks = [r.at - i.created_at for i in self.interactions if (r := i.response) is not None]
        edits: dict[str, list[float]] = {}
        counted: list[float] = []
        for request in fake.requests:
            if request.method == "PATCH" and "/channels/" in request.path and "/messages/" in request.path:
                edits.setdefault(request.path, []).append(request.at)
            if "/api/" in request.path and not any(part in request.path for part in EXEMPT):
                counted.append(request.at)
        counted.sort()
        busiest = max((bisect.bisect_left(counted, t + 1.0) - k for k, t in enumerate(counted)), default=0)
        gaps = [b - a for times in edits.values() for a, b in pairwise(times[:-1])]  # progress, not the final
        completed = failed = 0
        for interaction in self.interactions:
            post = interaction.original
            thread = fake.thread_of(post.id) if post is not None else None
            titles = [str((m.embed or {}).get("title", "")) for m in fake.messages(thread)] if thread else []
            completed += any(t.startswith("✅") for t in titles)
            failed += any(t.startswith("❌") for t in titles)
        return {
            "acked": len(acks), "ack_p50": percentile(acks, 50), "ack_p99": percentile(acks, 99),
            "gap_p50": percentile(gaps, 50), "gap_p95": percentile(gaps, 95),
            "shown_at": [times[-1] for times in edits.values()],
            "completed": completed, "failed": failed, "rate_limited": len(fake.rate_limit_hits),
            "busiest_second": busiest, "counted_requests": len(counted),
        }


class LoopLag:
    """How late this process's event loop wakes up: when the stand-in itself is starved of CPU, every time it
    stamps (an acknowledgement's arrival, a request in the sliding window) is late by as much."""

    def __init__(self) -> None:
        self.lags: list[float] = []

    async def run(self, every: float = 0.05) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(every)
            self.lags.append(loop.time() - before - every)


async def serve_discord(shards: str, members: str, servers_per_shard: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    fake = FakeDiscord(rate_limits=RateLimits(), fail_on_429=False)
    await fake.start()
    launch = Launch(fake, int(shards), int(members), int(servers_per_shard))
    lag = LoopLag()
    app = web.Application()

    async def ready(request: web.Request) -> web.Response:
        return web.json_response({"ready": launch.ready()})

    async def drive(request: web.Request) -> web.Response:
        launch.task = asyncio.create_task(launch.drive(float(request.query.get("ramp", "0"))))
        lag.lags.clear()
        launch.lag_task = asyncio.create_task(lag.run())
        return web.json_response({"asking": len(launch.asks)})

    async def progress(request: web.Request) -> web.Response:
        return web.json_response(launch.progress())

    async def report(request: web.Request) -> web.Response:
        return web.json_response({**launch.report(), "lag_p99": percentile(lag.lags, 99),
                                  "lag_max": max(lag.lags, default=0.0)})

    app.router.add_get("/ready", ready)
    app.router.add_post("/drive", drive)
    app.router.add_get("/progress", progress)
    app.router.add_get("/report", report)
    try:
        await _serve(app, {"bot_token": fake.bot_token, "api_base_url": fake.api_base_url,
                           "gateway_url": fake.gateway_url})
    finally:
        await fake.close()
