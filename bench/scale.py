"""N videos asked for at once of K bot processes (shards) sharing one PostgreSQL, each stand-in in a process of
its own: the stand-in Discord (Discord's observed limits, the global one as a sliding one-second window), the
vendor stand-in and every `python -m bot` run side by side, so no figure is bent by sharing an event loop.

    eval "$(bash .ci/postgres.sh start)"
    .venv/bin/python bench/scale.py 500:1 2000:4 10000:8 [--stream 20] [--video-mb 1] [--json runs.json]

Each N:K runs in a fresh database on the server of VIDEOBOT_TEST_POSTGRES_URL; N members spread over
servers owned by the K shards ask `/video` in the same instant. Prints, per run: completed / lost, 429s,
acknowledgement p50 / p99, progress update interval p95, vendor done → video shown p95, RSS and CPU per bot
process, PostgreSQL connections used; and the cost per job (CPU, memory, database transactions) that
bench/cost_curves.py plots. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale_standins import serve_discord, serve_vendor  # noqa: E402

from tests.store.backends import POSTGRES_URL, PostgresServer  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


async def start_standin(role: str, *args: str) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """A stand-in in its own process; it prints one JSON line of where it listens."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", role, *args, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    return process, json.loads(line)


async def profile(pid: int, out: Path, seconds: float) -> asyncio.subprocess.Process:
    """py-spy sampling a bot process from the asks on (collapsed stacks; bench/profile_summary.py reads them)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200",
        "--format", "raw", "-o", str(out), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


async def start_bot(discord: dict[str, Any], vendor: dict[str, Any], database: str, folder: Path, *, shard: int,
                    shards: int, n: int, settings: dict[str, str]) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": discord["bot_token"], "DISCORD_API_BASE_URL": discord["api_base_url"],
        "DISCORD_GATEWAY_URL": discord["gateway_url"], "DISCORD_SHARD_COUNT": str(shards),
        "DISCORD_SHARD_IDS": str(shard), "DATABASE_URL": database, "VIDEO_API_KEY": "sk-bench-0123456789",
        "VIDEO_API_BASE_URL": vendor["base_url"], "VIDEO_RAW_DATA_URL": vendor["raw_data_url"],
        "TRUSTED_MEDIA_ORIGINS": vendor["media_origin"],
        "MAX_JOBS_GLOBAL": str(n), "MAX_JOBS_PER_GUILD": str(n), "MAX_JOBS_PER_USER": "2",
        "LOG_LEVEL": "WARNING", **settings,
    }
    with (folder / f"shard-{shard}.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--env-file", str(folder / "none.env"), cwd=folder, env=env,
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )


async def wait_for(http: aiohttp.ClientSession, url: str, done: Any, *, within: float, what: str,
                   every: float = 1.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        async with http.get(url) as response:
            state = await response.json()
        if done(state):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {within:.0f} s for {what}: {state}")
        await asyncio.sleep(every)


async def run(n: int, shards: int, args: argparse.Namespace, server: PostgresServer) -> dict[str, Any]:
    database = await server.create_database()
    stream, video_bytes = args.stream, int(args.video_mb * 1024 * 1024)
    vendor_process, vendor = await start_standin("vendor", str(stream), str(video_bytes))
    discord_process, discord = await start_standin("discord", str(shards), str(n), str(args.servers_per_shard))
    bots: list[asyncio.subprocess.Process] = []
    settings = dict(item.split("=", 1) for item in args.set)
    admin = await asyncpg.connect(database)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:
            control = discord["control_url"]
            with tempfile.TemporaryDirectory() as folder:
                for shard in range(shards):
                    bots.append(await start_bot(discord, vendor, database, Path(folder), shard=shard, shards=shards,
                                                n=n, settings=settings))
                await wait_for(http, f"{control}/ready", lambda s: s["ready"], within=120, what="every shard")
                await asyncio.sleep(3)  # the REST shares settle (a newcomer waits two seconds for room)
                before = {p.pid: (cpu_seconds(p.pid), memory_mb(p.pid)[0]) for p in bots}
                xacts = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
                xact_before = int(await admin.fetchval(xacts))
                profilers = [await profile(p.pid, Path(args.profile) / f"n{n}-shard{k}.txt", args.profile_seconds)
                             for k, p in enumerate(bots)] if args.profile else []
                async with http.post(f"{control}/drive", params={"ramp": str(args.ramp)}) as response:
                    await response.json()
                began = time.monotonic()
                peak_connections, samples = 0, 0
                deadline = began + stream * 4 + 60 + n / 10
                while True:
                    async with http.get(f"{control}/progress") as response:
                        progress = await response.json()
                    peak_connections = max(peak_connections, int(await admin.fetchval(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'videobot'")))
                    samples += 1
                    if progress["ended"] >= n or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(2)
                wall = time.monotonic() - began
                for profiler in profilers:
                    await profiler.wait()
                after = {p.pid: (cpu_seconds(p.pid), *memory_mb(p.pid)) for p in bots}
                transactions = int(await admin.fetchval(xacts)) - xact_before
                async with http.get(f"{control}/report") as response:
                    seen = await response.json()
                async with http.get(f"{vendor['control_url']}/report") as response:
                    vendor_report = await response.json()
    finally:
        await admin.close()
        for process in [*bots, vendor_process, discord_process]:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in [*bots, vendor_process, discord_process]:
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
        await server.drop_database(database)
    shown = sorted(seen["shown_at"])
    done = sorted(vendor_report["finished_at"])
    after_vendor = [s - d for s, d in zip(shown, done, strict=False)] if len(shown) == len(done) else []
    processes = [
        {"cpu_s": after[pid][0] - before[pid][0], "rss_mb": after[pid][1], "peak_rss_mb": after[pid][2],
         "rss_before_mb": before[pid][1]}
        for pid in before
    ]
    return {
        "n": n, "shards": shards, "stream_s": stream, "ramp_s": args.ramp, "video_mb": args.video_mb, "wall_s": wall,
        "completed": seen["completed"], "lost": n - seen["completed"], "failed": seen["failed"],
        "rate_limited": seen["rate_limited"], "busiest_second": seen["busiest_second"],
        "ack_p50_ms": seen["ack_p50"] * 1000, "ack_p99_ms": seen["ack_p99"] * 1000, "acked": seen["acked"],
        "update_interval_p95_s": seen["gap_p95"], "update_interval_p50_s": seen["gap_p50"],
        "shown_after_vendor_p95_s": percentile(after_vendor, 95),
        "processes": processes, "pg_connections_peak": peak_connections, "db_transactions": transactions,
        "cpu_ms_per_job": sum(p["cpu_s"] for p in processes) * 1000 / n,
        "memory_bytes_per_job": sum(p["peak_rss_mb"] - p["rss_before_mb"] for p in processes) * 1024 * 1024 / n,
        "db_transactions_per_job": transactions / n,
        "counted_requests": seen["counted_requests"],
        "standin_lag_p99_ms": seen["lag_p99"] * 1000, "standin_lag_max_ms": seen["lag_max"] * 1000,
        "load_average": os.getloadavg()[0],
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * p // 100) - 1))]


def report(r: dict[str, Any]) -> None:
    def row(label: str, value: str) -> None:
        print(f"  {label:<46} {value}")

    print(f"\nN = {r['n']} over {r['shards']} shard process(es), asked over {r['ramp_s']:g} s; streams of "
          f"{r['stream_s']:g} s, "
          f"{r['video_mb']:g} MB videos; {r['wall_s']:.0f} s from the asks to the last ending")
    row("completed / lost (of which failed)", f"{r['completed']} / {r['lost']} ({r['failed']})")
    row("429 responses (busiest sliding second)", f"{r['rate_limited']} ({r['busiest_second']} counted requests)")
    row("/video acknowledged p50 / p99", f"{r['ack_p50_ms']:.0f} / {r['ack_p99_ms']:.0f} ms ({r['acked']} acked)")
    row("progress update interval p50 / p95", f"{r['update_interval_p50_s']:.2f} / {r['update_interval_p95_s']:.2f} s")
    row("vendor done → video shown p95", f"{r['shown_after_vendor_p95_s']:.2f} s")
    for k, p in enumerate(r["processes"]):
        row(f"shard {k}: CPU, RSS now / peak", f"{p['cpu_s']:.1f} s, {p['rss_mb']:.0f} / {p['peak_rss_mb']:.0f} MB")
    row("PostgreSQL connections (peak, all processes)", str(r["pg_connections_peak"]))
    row("stand-in Discord's own loop lag p99 / max", f"{r['standin_lag_p99_ms']:.0f} / {r['standin_lag_max_ms']:.0f} ms"
        f" (machine load average {r['load_average']:.1f} on {os.cpu_count()} cores)")
    row("per job: CPU / memory / DB transactions", f"{r['cpu_ms_per_job']:.1f} ms / "
        f"{r['memory_bytes_per_job'] / 1024:.0f} KiB / {r['db_transactions_per_job']:.1f}")


def append_result(path: Path, result: dict[str, Any]) -> None:
    existing = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*existing, result], indent=1))


async def main(args: argparse.Namespace) -> None:
    url = os.environ.get(POSTGRES_URL, "").strip()
    if not url:
        sys.exit(f"set {POSTGRES_URL} (eval \"$(bash .ci/postgres.sh start)\" starts a server)")
    server = PostgresServer(url)
    results = []
    for spec in args.runs:
        n, _, shards = spec.partition(":")
        result = await run(int(n), int(shards or 1), args, server)
        report(result)
        results.append(result)
        if args.json:
            append_result(Path(args.json), result)


def cli() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        role, rest = sys.argv[2], sys.argv[3:]
        serve = serve_discord if role == "discord" else serve_vendor
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        asyncio.run(serve(*rest))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", default=["500:1", "2000:4"], help="N:K, N videos over K shard processes")
    parser.add_argument("--stream", type=float, default=20.0, help="seconds each video streams at the vendor")
    parser.add_argument("--video-mb", type=float, default=1.0, help="size of each finished video")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="seconds over which the members ask (0: all in the same instant)")
    parser.add_argument("--servers-per-shard", type=int, default=4)
    parser.add_argument("--json", help="append each run's figures to this file (bench/cost_curves.py reads it)")
    parser.add_argument("--profile", metavar="DIR", help="sample each bot process with py-spy (pip install py-spy)")
    parser.add_argument("--profile-seconds", type=float, default=5.0, help="how long, from the asks on")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a bot setting (repeatable)")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
