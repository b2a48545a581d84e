"""N videos asked for at once: how fast members are acknowledged, how fast finished videos appear, how lively
progress is, how much of Discord's global budget the bot uses, and its memory. Prints figures; asserts nothing.

The bot runs as users run it (`python -m bot`) against the stand-in Discord with Discord's observed limits
(50 requests/s in all, 5 message edits per 5 s per channel) and a vendor stand-in whose every video streams
for `--stream` seconds and weighs `--video-mb` (under the server's 20 MiB upload limit, so it is attached).

    .venv/bin/python bench/load.py 10 100 500 [--stream 20] [--video-mb 8]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

from harness import (
    DISCORD_GLOBAL_LIMIT,
    Endings,
    counted_per_second,
    peak_rss_mb,
    percentile,
    row,
    stage,
    videobot,
)

from bot.videoapi.simulator import Scenario

STEPS = (5, 12, 20, 28, 36, 44, 52, 60, 68, 76, 84, 92)


async def run(n: int, stream_seconds: float, video_mb: float, settings: dict[str, str]) -> None:
    step = stream_seconds / (len(STEPS) + 3)  # pending, queued, the progress steps, done
    scenario = Scenario(queue_steps=1, progress_steps=STEPS, step_delay=step,
                        video_bytes=int(video_mb * 1024 * 1024))
    async with stage(n, scenario) as where:
        fake, simulator = where.fake, where.simulator
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "bench.sqlite3"
            async with videobot(where, database, MAX_JOBS_GLOBAL=str(n), MAX_JOBS_PER_GUILD=str(n),
                                MAX_JOBS_PER_USER="2", **settings) as bot:
                await fake.wait_until(lambda: any(r.method == "PUT" and "/commands" in r.path for r in fake.requests),
                                      timeout=30, message="the commands")
                began = time.monotonic()
                interactions = await asyncio.gather(*(
                    fake.slash(m, where.channel, "video", prompt=f"bench video {k}")
                    for k, m in enumerate(where.members)
                ))
                posts = await asyncio.gather(*(i.wait_done(timeout=120) for i in interactions))
                ended = Endings(fake, [post.id for post in posts])
                await fake.wait_until(lambda: ended() == n, timeout=stream_seconds * 4 + 120,
                                      message="every video to end")
                finished = time.monotonic()
                rss = peak_rss_mb(bot.pid)
        report(n, stream_seconds, video_mb, where, interactions, posts, began, finished, rss)
        del simulator


def report(n, stream_seconds, video_mb, where, interactions, posts, began, finished, rss) -> None:  # noqa: PLR0917
    fake, simulator = where.fake, where.simulator
    acks = [r.at - i.created_at for i in interactions if (r := i.response) is not None]
    late = sum(1 for a in acks if a > 3.0)
    edits: dict[str, list[float]] = {}
    for request in fake.requests:
        if request.method == "PATCH" and "/channels/" in request.path and "/messages/" in request.path:
            edits.setdefault(request.path, []).append(request.at)
    # When each video was finished at the vendor, and when its message showed it.
    vendor_done = sorted(t.finished_at for t in simulator.tasks.values() if t.finished_at is not None)
    shown = sorted(times[-1] for times in edits.values())
    after_vendor = [s - v for s, v in zip(shown, vendor_done, strict=False)] if len(shown) == len(vendor_done) else []
    lost = sum(1 for post in posts if (t := fake.thread_of(post.id)) is not None and any(
        (m.embed or {}).get("title", "").startswith("❌") for m in fake.messages(t)))
    streaming_start = min(t.created for t in simulator.tasks.values())
    streaming_end = min(vendor_done)
    gaps = [b - a for times in edits.values() for a, b in pairwise(times)
            if streaming_start <= a and b <= streaming_end]
    per_second = counted_per_second(fake, streaming_start + 1, streaming_end)
    print(f"\nN = {n}: {n} videos asked at once, each streaming {stream_seconds:.0f} s, {video_mb:g} MB")
    row("/video acknowledged p50 / p99 / max", f"{percentile(acks, 50) * 1000:.0f} / {percentile(acks, 99) * 1000:.0f}"
        f" / {max(acks) * 1000:.0f} ms ({late} after Discord's 3 s)")
    row("final video visible after the vendor finished p50 / p95", f"{percentile(after_vendor, 50):.2f} / "
        f"{percentile(after_vendor, 95):.2f} s")
    row("jobs that failed (timeouts, pool waits, anything)", str(lost))
    row("update interval while streaming p50 / p95", f"{percentile(gaps, 50):.2f} / {percentile(gaps, 95):.2f} s")
    busy = [s for s in per_second if s]
    share = statistics.mean(busy) / DISCORD_GLOBAL_LIMIT * 100 if busy else 0.0
    row("global budget used while streaming (mean / busiest s)", f"{share:.0f} % / {max(per_second, default=0)} "
        f"requests (Discord allows {DISCORD_GLOBAL_LIMIT})")
    hits = Counter(f"{h.method} {h.route} ({h.scope})" for h in fake.rate_limit_hits)
    row("429 responses", f"{len(fake.rate_limit_hits)}" + "".join(f"; {k}: {v}" for k, v in hits.items()))
    row("bot peak RSS", f"{rss:.0f} MB")
    row("wall time, first ask to last video", f"{finished - began:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 500])
    parser.add_argument("--stream", type=float, default=20.0, help="seconds each video streams at the vendor")
    parser.add_argument("--video-mb", type=float, default=8.0, help="size of each finished video")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a bot setting for the run, e.g. DISCORD_REST_PER_SECOND=40 (repeatable)")
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    logging.basicConfig(level=logging.ERROR)
    for n in args.sizes:
        asyncio.run(run(n, args.stream, args.video_mb, settings))


if __name__ == "__main__":
    main()
