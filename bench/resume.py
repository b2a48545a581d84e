"""A restart with many videos under way at the vendor: how soon every one is polled again, how the polls are
spread, and how soon each finished video appears. Prints figures; asserts nothing.

A first `python -m bot` starts N videos (everything generous, so all stream at once) and is killed with
SIGKILL once every job has its task ID. A second one starts with the default caps (20 videos at once, 5 per
server): those caps are for new submissions, so all N tasks the vendor is already making must be resumed.

    .venv/bin/python bench/resume.py [N] [--polls-per-second 250] [--task-seconds 120]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

from harness import Endings, percentile, row, stage, videobot

from bot.videoapi.simulator import Scenario
from fakediscord import WaitTimeout

STEPS = tuple(range(4, 100, 4))


def tasks_saved(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT COUNT(*) FROM jobs WHERE task_id IS NOT NULL").fetchone()[0])


async def run(n: int, polls_per_second: float, task_seconds: float) -> None:
    step = task_seconds / (len(STEPS) + 3)
    async with stage(n, Scenario(queue_steps=1, progress_steps=STEPS, step_delay=step)) as where:
        fake, simulator = where.fake, where.simulator
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "bench.sqlite3"
            generous = {"MAX_JOBS_GLOBAL": str(n), "MAX_JOBS_PER_GUILD": str(n)}
            async with videobot(where, database, **generous) as first:
                await fake.wait_until(lambda: any(r.method == "PUT" and "/commands" in r.path for r in fake.requests),
                                      timeout=30, message="the commands")
                await asyncio.gather(*(fake.slash(m, where.channel, "video", prompt=f"resume bench {k}")
                                       for k, m in enumerate(where.members)))
                with contextlib.suppress(WaitTimeout):  # kill it then anyway: those without an ID fail cleanly
                    await fake.wait_until(lambda: tasks_saved(database) >= n, timeout=task_seconds / 2,
                                          message="every task ID to be saved")
                first.send_signal(signal.SIGKILL)
                await first.wait()
            saved = tasks_saved(database)
            polls_before = len(simulator.requests)
            async with videobot(where, database, VIDEO_API_POLLS_PER_SECOND=f"{polls_per_second:g}"):
                connected = time.monotonic()

                finished = Endings(fake, [m.id for m in fake.messages(where.channel)])
                await fake.wait_until(lambda: finished() >= saved, timeout=task_seconds * 3,
                                      message="every resumed video to finish")
            polls = [r for r in simulator.requests[polls_before:] if r.method == "GET" and "/media/" not in r.path]
            poll_times = [r.at for r in polls]
            first_poll: dict[str, float] = {}
            for request in polls:
                task = request.query.get("id") or request.path.rsplit("/", 1)[-1]
                first_poll.setdefault(task, request.at)
            report(n, saved, polls_per_second, connected, first_poll, poll_times, where)


def report(n, saved, rate, connected, first_poll, poll_times, where) -> None:  # noqa: PLR0917
    fake, simulator = where.fake, where.simulator
    all_polled = max(first_poll.values()) - connected if first_poll else float("nan")
    per_second: dict[int, int] = {}
    for at in poll_times:
        per_second[int(at - connected)] = per_second.get(int(at - connected), 0) + 1
    finals: dict[str, float] = {}
    for request in fake.requests:
        if request.method == "PATCH" and "/messages/" in request.path and request.at > connected:
            finals[request.path] = request.at
    vendor_done = sorted(t.finished_at for t in simulator.tasks.values() if t.finished_at is not None)
    shown = sorted(finals.values())[-len(vendor_done):]
    after = [s - v for s, v in zip(shown, vendor_done, strict=False)]
    # When the bot learnt it: the first poll of each task after the vendor had the video.
    learnt = []
    for task in simulator.tasks.values():
        if task.finished_at is None:
            continue
        polls_after = [r.at for r in simulator.requests if r.method == "GET" and task.bare_id in r.path + str(r.query)
                       and r.at >= task.finished_at]
        if polls_after:
            learnt.append(min(polls_after) - task.finished_at)
    print(f"\nResume: {saved} of {n} videos had their task ID when the bot was killed; restarted with the default "
          f"caps (20 at once, 5 per server), {rate:g} polls/s")
    row("every task polled again, after the bot connected", f"{all_polled:.1f} s ({len(first_poll)} tasks)")
    row("polls per second, busiest / mean", f"{max(per_second.values(), default=0)} / "
        f"{len(poll_times) / max(1, len(per_second)):.0f} (bound: {rate:g})")
    row("finished video shown after the vendor finished p50 / p95", f"{percentile(after, 50):.2f} / "
        f"{percentile(after, 95):.2f} s")
    row("  of which until a poll saw it, p50 / p95", f"{percentile(learnt, 50):.2f} / {percentile(learnt, 95):.2f} s")
    row("429 responses", str(len(fake.rate_limit_hits)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--polls-per-second", type=float, default=250.0)
    parser.add_argument("--task-seconds", type=float, default=120.0, help="how long each video takes at the vendor")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(args.n, args.polls_per_second, args.task_seconds))


if __name__ == "__main__":
    main()
