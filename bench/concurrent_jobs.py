"""Many videos at once through the fake Discord (Discord's observed rate limits) and the simulator.

Prints figures, asserts nothing: wall time, REST calls, the busiest second against Discord's global
limit, progress edits per message and the shortest gap between two edits of one message, and 429s.

    .venv/bin/python bench/concurrent_jobs.py [jobs]      (default 100)
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from bot.app import Tuning, VideoBot
from bot.core.config import load_settings
from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import FakeDiscord, RateLimits
from tests.fakediscord.fixtures import running_bot

GLOBAL_LIMIT = 50
EXEMPT = ("/interactions/", "/webhooks/")


async def main(jobs: int) -> None:
    fake = FakeDiscord(rate_limits=RateLimits(), fail_on_429=False)
    await fake.start()
    simulator = Simulator(Scenario(step_delay=0.3, progress_steps=(10, 25, 40, 55, 70, 85)))
    await simulator.start()
    owner = fake.create_user("owner")
    guild = fake.create_guild("Bench", owner=owner)
    channel = guild.create_text_channel("video-lab")
    members = []
    for n in range(jobs):
        user = fake.create_user(f"member{n}")
        guild.add_member(user)
        members.append(user)
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings({
            "DISCORD_TOKEN": fake.bot_token, "VIDEO_API_KEY": "sk-bench-0123456789",
            "DATABASE_PATH": str(Path(folder) / "bench.sqlite3"),
            "DISCORD_API_BASE_URL": fake.api_base_url, "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DISCORD_DEV_GUILD_ID": str(guild.id), "VIDEO_API_BASE_URL": simulator.base_url or "",
            "TRUSTED_MEDIA_ORIGINS": simulator.media_origin,
            "MAX_JOBS_GLOBAL": str(jobs), "MAX_JOBS_PER_GUILD": str(jobs),
        }, env_file=None)
        bot = VideoBot(settings, tuning=Tuning(poll_interval=0.2), guild_ready_timeout=0.05)
        async with running_bot(fake, bot):
            started = time.monotonic()
            calls_before = len(fake.requests)
            interactions = await asyncio.gather(
                *(fake.slash(m, channel, "video", prompt=f"bench video {n}") for n, m in enumerate(members))
            )
            responses = [await i.wait_response(timeout=30) for i in interactions]
            starters = [r.message.id for r in responses if r.message is not None]

            def finished() -> int:
                count = 0
                for starter in starters:
                    thread = fake.thread_of(starter)
                    if thread is None:
                        continue
                    for message in fake.messages(thread):
                        if (message.embed or {}).get("title", "").startswith(("✅", "❌")):
                            count += 1
                return count

            await fake.wait_until(lambda: finished() == jobs, timeout=600, message="every video to end")
            elapsed = time.monotonic() - started
        requests = fake.requests[calls_before:]
    await simulator.close()
    await fake.close()

    counted = sorted(r.at for r in requests if not any(part in r.path for part in EXEMPT))
    busiest = max((bisect.bisect_left(counted, t + 1.0) - i for i, t in enumerate(counted)), default=0)
    edits: dict[str, list[float]] = {}
    for r in requests:
        if r.method == "PATCH" and "/channels/" in r.path and "/messages/" in r.path:
            edits.setdefault(r.path, []).append(r.at)
    per_message = [len(times) for times in edits.values()]
    gaps = [b - a for times in edits.values() for a, b in itertools.pairwise(times)]
    print(f"videos                      {jobs}")
    print(f"wall time                   {elapsed:.1f} s (each video ~{0.3 * 10:.0f} s at the service)")
    print(f"REST calls                  {len(requests)} ({len(counted)} count toward the global limit)")
    print(f"busiest second              {busiest} requests (Discord allows {GLOBAL_LIMIT})")
    print(f"edits per progress message  mean {statistics.mean(per_message):.1f}, max {max(per_message)}")
    print(f"shortest gap between edits  {min(gaps):.2f} s of one message")
    print(f"429 responses               {len(fake.rate_limit_hits)}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
