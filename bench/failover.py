"""Failover: how long a dead process's videos wait before another process finishes them.

Two `python -m bot` processes (shard 0 and shard 1 of 2) share a fresh database on the PostgreSQL server of
VIDEOBOT_TEST_POSTGRES_URL (`eval "$(bash .ci/postgres.sh start)"` starts one), the fake Discord and one
video simulator. Shard 0's process starts `videos` videos, is SIGKILLed while they generate, and the figures
are taken from the database and the fake: when the survivor adopted them, when each was finished, and what
was asked of the video service. Prints figures, asserts nothing.

    .venv/bin/python bench/failover.py [videos] [lease timeout in seconds]      (default 10 and 5)
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import FakeDiscord, RateLimits
from tests.store.backends import POSTGRES_URL, PostgresServer

ROOT = Path(__file__).resolve().parents[1]


async def start_bot(
    fake: FakeDiscord, simulator: Simulator, database: str, folder: Path, *, shard: int, lease: float, videos: int
) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": fake.bot_token, "DISCORD_API_BASE_URL": fake.api_base_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url, "DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": str(shard),
        "DISCORD_REST_PER_SECOND": "20", "DATABASE_URL": database, "VIDEO_API_KEY": "sk-bench-0123456789",
        "VIDEO_API_BASE_URL": simulator.base_url or "", "VIDEO_RAW_DATA_URL": simulator.raw_data_url,
        "TRUSTED_MEDIA_ORIGINS": simulator.media_origin, "JOB_LEASE_TIMEOUT": str(lease),
        "MAX_JOBS_GLOBAL": str(videos), "MAX_JOBS_PER_GUILD": str(videos), "MAX_JOBS_PER_USER": str(videos),
        "DEFAULT_QUOTA_UNITS": str(videos),
    }
    with (folder / f"shard-{shard}.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--env-file", str(folder / "none.env"), cwd=folder, env=env,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
    await fake.wait_until(lambda: (shard, 2) in fake.gateway.shards, timeout=30, message=f"shard {shard}")
    return process


async def main(videos: int, lease: float) -> None:
    server_url = os.environ.get(POSTGRES_URL, "").strip()
    if not server_url:
        sys.exit(f"set {POSTGRES_URL} (eval \"$(bash .ci/postgres.sh start)\" starts a server)")
    server = PostgresServer(server_url)
    database = await server.create_database()
    fake = FakeDiscord(rate_limits=RateLimits(), fail_on_429=False)
    await fake.start()
    # About ten seconds of generating: the kill lands in the middle of every video.
    simulator = Simulator(Scenario(queue_steps=1, progress_steps=tuple(range(10, 100, 10)), step_delay=1.0))
    await simulator.start()
    owner, member = fake.create_user("owner"), fake.create_user("member")
    guild = fake.create_guild("Shard zero", owner, shard=(0, 2))
    guild.add_member(member)
    # A channel per four videos: Discord lets a channel take five new messages per five seconds.
    channels = [guild.create_text_channel(f"video-lab-{n}") for n in range((videos + 3) // 4)]
    processes = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            first = await start_bot(fake, simulator, database, Path(folder), shard=0, lease=lease, videos=videos)
            processes.append(
                await start_bot(fake, simulator, database, Path(folder), shard=1, lease=lease, videos=videos)
            )
            await fake.wait_until(lambda: any(r.method == "PUT" for r in fake.requests), timeout=30)
            starts = [await fake.slash(member, channels[n // 4], "video", prompt=f"video {n}") for n in range(videos)]
            await asyncio.gather(*(start.wait_done(timeout=60) for start in starts))
            db = await asyncpg.connect(database)
            try:
                async def count(where: str) -> int:
                    return int(await db.fetchval(f"SELECT COUNT(*) FROM jobs WHERE {where}"))

                while True:  # every video has its task at the service: it is generating
                    if await count("task_id IS NOT NULL") == videos:
                        break
                    await asyncio.sleep(0.05)
                owner_before = await db.fetchval("SELECT owner FROM jobs LIMIT 1")
                first.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                await first.wait()
                adopted_at: float | None = None
                finished: dict[int, float] = {}
                while len(finished) < videos:
                    rows = await db.fetch("SELECT id, status, owner FROM jobs")
                    now = time.monotonic() - killed
                    if adopted_at is None and all(r["owner"] != owner_before for r in rows):
                        adopted_at = now
                    ended = {r["id"] for r in rows if r["status"] != "running"}
                    finished.update({job_id: now for job_id in ended - finished.keys()})
                    await asyncio.sleep(0.05)
                ledger = await db.fetch(
                    "SELECT jobs.status, COUNT(usage.id) AS charges, BOOL_OR(usage.refunded_at IS NOT NULL) AS refunded"
                    " FROM jobs LEFT JOIN usage ON usage.job_id = jobs.id GROUP BY jobs.id"
                )
            finally:
                await db.close()
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()
        await simulator.close()
        await fake.close()
        await server.drop_database(database)

    chats = sum(r.path == "/v1/chat/completions" for r in simulator.requests)
    times = sorted(finished.values())
    print(f"{videos} videos generating in the killed process; JOB_LEASE_TIMEOUT={lease:g} s (adoption of another")
    print(f"shard's jobs after {2 * lease:g} s of silence, checked every {lease / 3:.2f} s; then the task is polled)")
    print(f"  adopted after the kill:        {adopted_at:.1f} s")
    print(f"  finished after the kill:       first {times[0]:.1f} s, median {statistics.median(times):.1f} s, "
          f"last {times[-1]:.1f} s")
    print(f"  generations asked of the service: {chats} for {videos} videos")
    statuses = sorted({r["status"] for r in ledger})
    print(f"  ledger: {statuses}, charges per job {sorted({r['charges'] for r in ledger})}, "
          f"refunded {sum(bool(r['refunded']) for r in ledger)}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10, float(sys.argv[2]) if len(sys.argv) > 2 else 5))
