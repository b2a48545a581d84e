"""What the process-level benchmarks share: the stand-in Discord with Discord's observed rate limits, a vendor
stand-in, and `videobot` started as users start it (`python -m bot`, configured only by environment).

Everything the figures compare is timed on this process's monotonic clock: when the stand-in received each
request, when the vendor stand-in finished each task. The bot runs in its own process, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.videoapi.simulator import Scenario, Simulator  # noqa: E402
from fakediscord import Channel, FakeDiscord, RateLimits, User  # noqa: E402

EXEMPT = ("/interactions/", "/webhooks/")
FINAL_TITLES = ("✅", "❌")
DISCORD_GLOBAL_LIMIT = 50


@dataclass
class Stage:
    """A stand-in Discord with one server, `members` members and a channel, plus the vendor stand-in."""

    fake: FakeDiscord
    simulator: Simulator
    channel: Channel
    members: list[User]
    guild_id: int


@contextlib.asynccontextmanager
async def stage(members: int, scenario: Scenario, *, media_base_url: str | None = None) -> AsyncIterator[Stage]:
    """The stand-ins, with Discord's observed limits; `media_base_url` points the vendor's links elsewhere (a CDN
    of real videos) instead of at the simulator's own media."""
    fake = FakeDiscord(rate_limits=RateLimits(), fail_on_429=False)
    await fake.start()
    simulator = Simulator(scenario, media_base_url=media_base_url)
    await simulator.start()
    owner = fake.create_user("owner")
    guild = fake.create_guild("Bench", owner=owner)
    channel = guild.create_text_channel("video-lab")
    people = []
    for n in range(members):
        user = fake.create_user(f"member{n}")
        guild.add_member(user)
        people.append(user)
    try:
        yield Stage(fake, simulator, channel, people, guild.id)
    finally:
        await simulator.close()
        await fake.close()


@contextlib.asynccontextmanager
async def videobot(where: Stage, database: Path, **settings: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot` against the stand-ins; yields once it has connected, SIGTERMs it at the end."""
    assert where.simulator.base_url
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": where.fake.bot_token,
        "DISCORD_API_BASE_URL": where.fake.api_base_url,
        "DISCORD_GATEWAY_URL": where.fake.gateway_url,
        "DISCORD_DEV_GUILD_ID": str(where.guild_id),
        "VIDEO_API_KEY": "sk-bench-0123456789",
        "VIDEO_API_BASE_URL": where.simulator.base_url,
        "VIDEO_RAW_DATA_URL": where.simulator.raw_data_url,
        "TRUSTED_MEDIA_ORIGINS": where.simulator.media_origin,
        "DATABASE_PATH": str(database),
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    identified = len(where.fake.gateway.identifies)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--env-file", str(database.parent / "none.env"), cwd=database.parent, env=env,
    )
    try:
        await where.fake.wait_until(lambda: len(where.fake.gateway.identifies) > identified, timeout=30,
                                    message="the bot to connect")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=30)


class Endings:
    """How many of the videos started from `posts` (their public posts) have ended, read cheaply from the
    stand-in's store and at most every quarter second: the stand-in runs in this process, and a costly
    check on its every change would slow it down and skew what it measures."""

    def __init__(self, fake: FakeDiscord, post_ids: Sequence[int]) -> None:
        self._fake = fake
        self._posts = list(post_ids)
        self._checked_at = -math.inf
        self._count = 0

    def __call__(self) -> int:
        now = time.monotonic()
        if now - self._checked_at >= 0.25:
            self._checked_at, self._count = now, sum(1 for post in self._posts if self._ended(post))
        return self._count

    def _ended(self, post_id: int) -> bool:
        world = self._fake.world
        thread_id = post_id if post_id in world.channels else None  # a thread takes its post's ID
        for message_id in world.channel_messages.get(thread_id or -1, ()):
            embeds = world.messages[message_id].embeds
            if embeds and str(embeds[0].get("title", "")).startswith(FINAL_TITLES):
                return True
        return False


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def counted_per_second(fake: FakeDiscord, start: float, end: float) -> list[int]:
    """Requests that count toward Discord's global limit, per second of [start, end)."""
    seconds = [0] * max(1, math.ceil(end - start))
    for request in fake.requests:
        if start <= request.at < end and not any(part in request.path for part in EXEMPT):
            seconds[min(len(seconds) - 1, int(request.at - start))] += 1
    return seconds


def row(label: str, value: str) -> None:
    print(f"  {label:<52} {value}")
