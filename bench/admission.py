"""Admission on both backends at 1 M usage rows: latency one at a time, and throughput from two processes.

Prints figures, asserts nothing. Each backend gets a fresh database holding `rows` usage rows (and their jobs),
spread over 100,000 members of 1,000 servers across the last 60 days; the rows are written in bulk, while
everything measured goes through QuotaService.admit (settings, policies, cost, then the locked transaction).

    .venv/bin/python bench/admission.py [rows]      (default 1000000)

PostgreSQL runs when VIDEOBOT_BENCH_POSTGRES_URL (or VIDEOBOT_TEST_POSTGRES_URL) names a server where the bench
may create a database: `eval "$(bash .ci/postgres.sh start)"` starts a throwaway one (durability off: see the
settings printed).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bot.core.config import load_settings
from bot.quotas.admission import QuotaRefused, QuotaService
from bot.quotas.policy import Member
from bot.store import JobParams, Store

GUILDS, MEMBERS_PER_GUILD, DAYS = 1_000, 100, 60
SERIAL_ADMISSIONS, WARM_UP = 2_000, 200
PROCESSES, TASKS_PER_PROCESS, SECONDS = 2, 8, 10.0
SETTINGS = load_settings(
    {"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20, "DEFAULT_QUOTA_UNITS": "1000000",
     "MAX_JOBS_PER_USER": "1000000"},
    env_file=None,
)
PARAMS = JobParams(prompt="a cow with wings")


def member(rng: random.Random) -> tuple[int, Member]:
    guild = rng.randrange(GUILDS) + 1
    user = guild * 1_000 + rng.randrange(MEMBERS_PER_GUILD)
    return guild, Member(user_id=user, role_ids=frozenset(), is_moderator=False)


def history(rows: int) -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
    """(job, usage) rows: ids 1…rows, members at random, times over the last DAYS days."""
    rng = random.Random(15)
    now = int(time.time())
    for job_id in range(1, rows + 1):
        guild, who = member(rng)
        created = now - rng.randrange(DAYS * 86_400)
        yield ((job_id, guild, who.user_id, "succeeded", "sora-2", '{"prompt": "p"}', 1, 1, created),
               (job_id, guild, who.user_id, job_id, 1, created))


JOB_COLUMNS = ["id", "guild_id", "user_id", "status", "model", "params", "cost", "attempts", "created_at"]
USAGE_COLUMNS = ["id", "guild_id", "user_id", "job_id", "units", "created_at"]


def seed_sqlite(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as conn:
        pairs = list(history(rows))
        conn.executemany(f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({', '.join('?' * 9)})",
                         (job for job, _ in pairs))
        conn.executemany(f"INSERT INTO usage ({', '.join(USAGE_COLUMNS)}) VALUES ({', '.join('?' * 6)})",
                         (usage for _, usage in pairs))
        conn.execute("ANALYZE")


async def seed_postgres(url: str, rows: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        pairs = list(history(rows))
        await conn.copy_records_to_table("jobs", records=[job for job, _ in pairs], columns=JOB_COLUMNS)
        await conn.copy_records_to_table("usage", records=[usage for _, usage in pairs], columns=USAGE_COLUMNS)
        for table in ("jobs", "usage"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {rows})")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def admit_one(quotas: QuotaService, rng: random.Random) -> tuple[float, bool]:
    guild, who = member(rng)
    started = time.perf_counter()
    try:
        await quotas.admit(guild, who, model="sora-2", params=PARAMS)
    except QuotaRefused:
        return time.perf_counter() - started, False
    return time.perf_counter() - started, True


def percentiles(seconds: list[float]) -> str:
    cuts = statistics.quantiles([s * 1000 for s in seconds], n=100)
    return f"p50 {cuts[49]:.2f} ms, p99 {cuts[98]:.2f} ms, max {max(seconds) * 1000:.2f} ms"


async def serial_latency(target: Path | str) -> str:
    store = await Store.open(target)
    try:
        quotas, rng = QuotaService(store, SETTINGS), random.Random(1)
        for _ in range(WARM_UP):
            await admit_one(quotas, rng)
        timings = [await admit_one(quotas, rng) for _ in range(SERIAL_ADMISSIONS)]
    finally:
        await store.close()
    refused = sum(not ok for _, ok in timings)
    return f"{percentiles([t for t, _ in timings])} over {SERIAL_ADMISSIONS} admissions one at a time" + (
        f" ({refused} refused)" if refused else ""
    )


async def worker(target: str, seed: int) -> None:
    """One process of the throughput run: TASKS_PER_PROCESS admitting in a loop for SECONDS after "go"."""
    store = await Store.open(target, migrate=False)
    try:
        quotas, rng = QuotaService(store, SETTINGS), random.Random(seed)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.readline)
        deadline = time.perf_counter() + SECONDS
        timings: list[float] = []

        async def loop() -> None:
            while time.perf_counter() < deadline:
                timings.append((await admit_one(quotas, rng))[0])

        await asyncio.gather(*(loop() for _ in range(TASKS_PER_PROCESS)))
        sys.stdout.write(json.dumps(timings) + "\n")
        sys.stdout.flush()
    finally:
        await store.close()


async def throughput(target: Path | str) -> str:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--worker", str(target), str(seed),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for seed in range(100, 100 + PROCESSES)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdin is not None
        await process.stdout.readline()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    outputs = [await process.communicate() for process in processes]
    timings = [t for stdout, _ in outputs for t in json.loads(stdout)]
    return (f"{len(timings) / SECONDS:.0f} admissions/s from {PROCESSES} processes x {TASKS_PER_PROCESS} tasks"
            f" for {SECONDS:.0f} s (each: {percentiles(timings)})")


async def postgres_database(server: str) -> str:
    name = f"videobot_bench_{os.getpid()}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        durability = [await admin.fetchval(f"SHOW {s}") for s in ("fsync", "synchronous_commit")]
        version = await admin.fetchval("SHOW server_version")
    finally:
        await admin.close()
    print(f"PostgreSQL {version.split()[0]} (fsync {durability[0]}, synchronous_commit {durability[1]})")
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


async def drop(server: str, url: str) -> None:
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await admin.close()


async def bench(name: str, target: Path | str, rows: int) -> None:
    await (await Store.open(target)).close()  # the schema
    started = time.perf_counter()
    if isinstance(target, Path):
        await asyncio.to_thread(seed_sqlite, target, rows)
    else:
        await seed_postgres(target, rows)
    print(f"{name}: {rows:,} usage rows written in {time.perf_counter() - started:.1f} s")
    print(f"{name}: admission latency {await serial_latency(target)}")
    print(f"{name}: throughput {await throughput(target)}")


async def main(rows: int) -> None:
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        await bench("SQLite", Path(folder) / "bench.sqlite3", rows)
    server = os.environ.get("VIDEOBOT_BENCH_POSTGRES_URL") or os.environ.get("VIDEOBOT_TEST_POSTGRES_URL")
    if not server:
        print("PostgreSQL: skipped (set VIDEOBOT_BENCH_POSTGRES_URL or VIDEOBOT_TEST_POSTGRES_URL)")
        return
    url = await postgres_database(server)
    try:
        await bench("PostgreSQL", url, rows)
    finally:
        await drop(server, url)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        asyncio.run(worker(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
