"""Ten large videos finishing at once in the real bot: `python -m bot`, as users run it, against the stand-in
Discord (a server limited to 10 MiB per file, Discord's default until September 2026, so that the figures compare
with the media core's in fit_videos.py) and the vendor stand-in, whose links point at a CDN
serving one real 1080p video larger than the limit. Each video is downloaded, re-encoded and uploaded.

Prints figures, asserts nothing: when each video appeared and how large its upload was; the peak memory
(RSS, and PSS, which counts shared libraries once) of the bot's process, of its media workers, and of both
together, sampled every 20 ms from a thread of this process.

    .venv/bin/python bench/fit_in_bot.py [videos] [seconds] [height]     (default 10 videos, 12 s, 1080 lines)
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from fit_videos import MIB, Peaks, sample, write_sources
from harness import stage, videobot

from bot.videoapi.simulator import Scenario
from fakediscord import Channel, FakeDiscord, MessageView

FINISHED = "✅ Finished in"
LOADED = Scenario(queue_steps=1, progress_steps=(50,), step_delay=0.5)


@contextlib.asynccontextmanager
async def cdn(video: Path) -> AsyncIterator[str]:
    """The vendor's CDN: every video link serves `video` (sent from disk); previews are missing, as some vendors'
    are, so the bot takes a frame of each video too."""

    async def serve(request: web.Request) -> web.StreamResponse:
        if request.path.endswith(".mp4"):
            return web.FileResponse(video, headers={"Content-Type": "video/mp4"})
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def finished(fake: FakeDiscord, thread: Channel) -> MessageView | None:
    bot = fake.bot_user.id
    done = [m for m in fake.messages(thread)
            if m.author.id == bot and (m.embed or {}).get("title", "").startswith(FINISHED)]
    return done[0] if done else None


async def run(root: Path, videos: int) -> None:
    async with (
        cdn(root / "serve" / "video.mp4") as media_base,
        stage(videos, LOADED, media_base_url=media_base) as where,
    ):
        fake = where.fake
        fake.world.guilds[where.guild_id].set_upload_limit(10 * MIB)
        async with videobot(where, root / "bench.sqlite3", MAX_JOBS_GLOBAL=str(videos),
                            MAX_JOBS_PER_GUILD=str(videos)) as bot:
            await fake.wait_until(lambda: any(r.method == "PUT" and "/commands" in r.path for r in fake.requests),
                                  timeout=30, message="the commands")
            peaks, stop = Peaks(), threading.Event()
            sampler = threading.Thread(target=sample, args=(peaks, stop, bot.pid))
            sampler.start()
            began = time.monotonic()
            try:
                asked = await asyncio.gather(*(fake.slash(m, where.channel, "video", prompt=f"bench video {k}")
                                               for k, m in enumerate(where.members)))
                posts = await asyncio.gather(*(i.wait_done(timeout=60) for i in asked))
                seen: dict[int, tuple[float, MessageView]] = {}
                print(f"\n{'video':>5} {'shown after':>12} {'upload':>10}  note")
                while len(seen) < videos and time.monotonic() - began < 900:
                    for k, post in enumerate(posts):
                        thread = fake.thread_of(post.id)
                        done = finished(fake, thread) if thread is not None and k not in seen else None
                        if done is not None:
                            seen[k] = (time.monotonic() - began, done)
                            upload = sum(a.size for a in done.attachments if a.filename.endswith(".mp4")) / MIB
                            note = (done.embed or {}).get("description", "").split("\n\n")[-1][:60]
                            print(f"{k:>5} {seen[k][0]:>10.1f} s {upload:>6.2f} MiB  {note}")
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                sampler.join()
    wall = max((t for t, _ in seen.values()), default=float("nan"))
    print(f"\n{len(seen)} of {videos} videos shown, the last after {wall:.1f} s")
    print(f"peak RSS: bot {peaks.bot_rss / MIB:.0f} MB, workers {peaks.workers_rss / MIB:.0f} MB, "
          f"together {peaks.total_rss / MIB:.0f} MB (PSS together {peaks.total_pss / MIB:.0f} MB); "
          f"workers at once: {peaks.workers_at_once}")


def main(videos: int, seconds: float, height: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "serve").mkdir()
        write_sources(root / "serve", 1, seconds, height)
        asyncio.run(run(root, videos))


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 10, float(args[1]) if len(args) > 1 else 12.0,
         int(args[2]) if len(args) > 2 else 1080)
