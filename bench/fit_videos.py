"""Many large videos finishing at once: each is downloaded, re-encoded to fit a 10 MiB limit and framed.

Prints figures, asserts nothing: per video the time it waited and the time it took, its size before and
after; the peak memory (RSS, and PSS, which counts shared libraries once) of this process, of the media
workers, and of both together, sampled every 20 ms; and the event loop's longest stall.

This process imports the whole bot (discord.py, aiohttp, aiosqlite) so that its own memory is the bot's
baseline; the videos are served by a separate process, as a vendor's CDN would be.

    .venv/bin/python bench/fit_videos.py [videos] [seconds] [height]     (default 10 videos, 12 s, 1080 lines)
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

import bot.app  # noqa: F401  (loaded for its memory: the bot's baseline)
from bot.media.prepare import MediaPreparer
from bot.media.processes import MediaProcesses
from bot.media.workspace import MediaWorkspace

MIB = 1024 * 1024
LIMIT = 10 * MIB


@dataclass
class Peaks:
    """Highest memory seen, in bytes."""

    bot_rss: int = 0
    workers_rss: int = 0
    total_rss: int = 0
    total_pss: int = 0
    workers_at_once: int = 0
    stall: float = 0.0
    stall_at: float = 0.0  # seconds after the start


def kb_field(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def sample(peaks: Peaks, stop: threading.Event, bot_pid: int, *, not_a_worker: int | None = None) -> None:
    """Memory of `bot_pid` and its child processes (but `not_a_worker`), every 20 ms, from a thread: reading
    /proc must not be what delays the event loop."""
    while not stop.wait(0.02):
        workers = [p for p in children(bot_pid) if p != not_a_worker]
        bot_rss = kb_field(Path(f"/proc/{bot_pid}/status"), "VmRSS:")
        workers_rss = sum(kb_field(Path(f"/proc/{p}/status"), "VmRSS:") for p in workers)
        pss = sum(kb_field(Path(f"/proc/{p}/smaps_rollup"), "Pss:") for p in [bot_pid, *workers])
        peaks.bot_rss = max(peaks.bot_rss, bot_rss)
        peaks.workers_rss = max(peaks.workers_rss, workers_rss)
        peaks.total_rss = max(peaks.total_rss, bot_rss + workers_rss)
        peaks.total_pss = max(peaks.total_pss, pss)
        peaks.workers_at_once = max(peaks.workers_at_once, len(workers))


async def heartbeat(peaks: Peaks) -> None:
    """The event loop's longest stall: how late a 10 ms sleep wakes up."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    while True:
        before = loop.time()
        await asyncio.sleep(0.01)
        late = loop.time() - before - 0.01
        if late > peaks.stall:
            peaks.stall, peaks.stall_at = late, before - began


def serve(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"


async def wait_listening(base: str, session: aiohttp.ClientSession) -> None:
    for _ in range(100):
        try:
            async with session.get(base + "/"):
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the file server did not start")


def write_sources(directory: Path, videos: int, seconds: float, height: int) -> None:
    """One real video, linked under `videos` names. Written by another process: PyAV must not count
    towards this one's memory."""
    width = height * 16 // 9 // 2 * 2  # H.264 in 4:2:0 takes even sizes only (480 lines: 852, not 853)
    source = directory / "video.mp4"
    started = time.perf_counter()
    make = ("from pathlib import Path; from tests.media.samples import Sample, write_video; "
            f"write_video(Path({str(source)!r}), Sample({width}, {height}, 30, {seconds}, 40, grain=0.5))")
    subprocess.run([sys.executable, "-c", make], check=True, cwd=Path(__file__).resolve().parents[1])
    print(f"source: {width}x{height}, 30 fps, {seconds:g} s, {source.stat().st_size / MIB:.1f} MiB "
          f"(written in {time.perf_counter() - started:.1f} s)")
    for i in range(videos):
        (directory / f"video-{i}.mp4").hardlink_to(source)


async def run(root: Path, base: str, videos: int, server_pid: int) -> None:
    peaks, stop = Peaks(), threading.Event()
    async with aiohttp.ClientSession() as session:
        await wait_listening(base, session)
        workspace = await MediaWorkspace.open(root / "media-tmp")
        processes = MediaProcesses()
        preparer = MediaPreparer(session, workspace, processes, trusted_origins=(base,))
        sampler = threading.Thread(target=sample, args=(peaks, stop, os.getpid()), kwargs={"not_a_worker": server_pid})
        sampler.start()
        beats = asyncio.create_task(heartbeat(peaks))
        print(f"\n{'video':>5} {'ready after':>12} {'result':>10} {'size':>10}")
        began = time.perf_counter()

        async def one(i: int) -> None:
            async with preparer.prepare(f"{base}/video-{i}.mp4", limit=LIMIT) as ready:
                took = time.perf_counter() - began
                size = ready.video.stat().st_size / MIB if ready.video else 0.0
                result = "re-encoded" if ready.reencoded else (ready.not_attached or "as is")
                print(f"{i:>5} {took:>10.1f} s {result!s:>10} {size:>6.2f} MiB")

        try:
            await asyncio.gather(*(one(i) for i in range(videos)))
        finally:
            wall = time.perf_counter() - began
            stop.set()
            beats.cancel()
            sampler.join()
            await processes.close()
            await workspace.close()
    print(f"\n{videos} videos ready in {wall:.1f} s ({wall / videos:.1f} s each on average, one encode at a time)")
    print(f"peak RSS: bot {peaks.bot_rss / MIB:.0f} MB, workers {peaks.workers_rss / MIB:.0f} MB, "
          f"together {peaks.total_rss / MIB:.0f} MB (PSS together {peaks.total_pss / MIB:.0f} MB)")
    print(f"workers at once: {peaks.workers_at_once}; longest event-loop stall: {peaks.stall * 1000:.0f} ms "
          f"({peaks.stall_at:.1f} s in)")


def main(videos: int, seconds: float, height: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "serve").mkdir()
        write_sources(root / "serve", videos, seconds, height)
        server, base = serve(root / "serve")
        try:
            asyncio.run(run(root, base, videos, server.pid))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 10, float(args[1]) if len(args) > 1 else 12.0,
         int(args[2]) if len(args) > 2 else 1080)
