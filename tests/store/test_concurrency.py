"""Several bot processes on one database: admission hands out exactly the units and places there are, and a
moderator's change made at the same moment as another is not lost."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.quotas.admission import QuotaRefused, QuotaService
from bot.store import JobParams, JobStatus, Store
from tests.conftest import FakeClock
from tests.store.admit_worker import GUILD, MAYA, MOMENT

PROCESSES, ATTEMPTS = 4, 6
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_settings({"DISCORD_TOKEN": "t" * 20, "VIDEO_API_KEY": "k" * 20}, env_file=None)
PARAMS = JobParams(prompt="a cow with wings")


async def race(database: Path | str) -> list[dict[str, int]]:
    """Start the worker processes, let each connect, then release them all at once."""
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.store.admit_worker", str(database), str(ATTEMPTS),
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert await asyncio.wait_for(worker.stdout.readline(), 30) == b"ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        outputs = [await asyncio.wait_for(worker.communicate(), 60) for worker in workers]
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert [worker.returncode for worker in workers] == [0] * PROCESSES
    return [json.loads(stdout) for stdout, _ in outputs]


async def prepared(database: Path | str, *, units: int, at_once: int | None) -> Store:
    store = await Store.open(database, clock=lambda: MOMENT)
    await store.quotas.set_policy(guild_id=GUILD, scope="user", target_id=MAYA.user_id, period="day",
                                  max_units=units, max_concurrent=at_once, updated_by=99)
    return store


async def test_the_last_units_go_once_across_processes(database: Path | str) -> None:
    """Four processes ask for 24 videos at once for a member with 5 left: exactly 5 are admitted and charged."""
    store = await prepared(database, units=5, at_once=50)
    try:
        results = await race(database)
        assert sum(r["admitted"] for r in results) == 5
        assert sum(r["refused"] for r in results) == PROCESSES * ATTEMPTS - 5
        assert await store.quotas.used_since(GUILD, MAYA.user_id, MOMENT.replace(hour=0)) == 5
        assert len(await store.jobs.unfinished()) == 5  # a refused request leaves no job behind
    finally:
        await store.close()


async def test_videos_at_once_per_member_hold_across_processes(database: Path | str) -> None:
    """With plenty of units but two videos at a time, 24 simultaneous requests start exactly two."""
    store = await prepared(database, units=100, at_once=2)
    try:
        results = await race(database)
        assert sum(r["admitted"] for r in results) == 2
        assert len(await store.jobs.unfinished_for_user(GUILD, MAYA.user_id)) == 2
    finally:
        await store.close()


async def test_many_rounds_of_two_connections_racing_for_the_last_unit(database: Path | str, clock: FakeClock) -> None:
    """In-process and quick, so many interleavings are tried: each round, one of two admissions wins."""
    first, second = await Store.open(database, clock=clock), await Store.open(database, clock=clock)
    try:
        await first.quotas.set_policy(guild_id=GUILD, scope="user", target_id=MAYA.user_id, period="day",
                                      max_units=1, max_concurrent=None, updated_by=99)
        for _ in range(15):
            results = await asyncio.gather(
                QuotaService(first, SETTINGS).admit(GUILD, MAYA, model="sora-2", params=PARAMS),
                QuotaService(second, SETTINGS).admit(GUILD, MAYA, model="sora-2", params=PARAMS),
                return_exceptions=True,
            )
            assert sorted(type(r).__name__ for r in results) == ["Admission", "QuotaRefused"]
            [won] = [r for r in results if not isinstance(r, BaseException)]
            assert not isinstance(won, QuotaRefused)
            await first.jobs.finish(won.job.id, JobStatus.FAILED, error="declined", error_kind="refused")
            assert await first.quotas.refund(won.job.id)  # the unit is free again for the next round
    finally:
        await first.close()
        await second.close()


async def test_two_moderators_changing_different_settings_at_once_keep_both(database: Path | str) -> None:
    """Each change rewrites the whole settings row: without a lock, the later one would undo the earlier."""
    first, second = await Store.open(database), await Store.open(database)
    try:
        for round_number in range(1, 11):
            await asyncio.gather(
                first.settings.update(5, cooldown_seconds=round_number),
                second.settings.update(5, max_jobs_per_guild=round_number),
            )
            settings = await first.settings.get(5)
            assert (settings.cooldown_seconds, settings.max_jobs_per_guild) == (round_number, round_number)
    finally:
        await first.close()
        await second.close()


async def test_a_sqlite_unit_of_work_cancelled_at_any_point_leaves_no_transaction_open(tmp_path: Path) -> None:
    """Shutdown cancels tasks wherever they are, even while their BEGIN is on aiosqlite's thread: what the store
    writes afterwards (the leases a clean shutdown releases) must still be kept."""
    path = tmp_path / "videobot.sqlite3"
    store = await Store.open(path)
    try:
        for steps in range(6):  # cancelled before, during and after each await of the unit of work
            async def admit() -> None:
                async with store.transaction():
                    await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=PARAMS, cost=1)

            task = asyncio.create_task(admit())
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await store.settings.update(5, cooldown_seconds=steps)  # written after the cancel, outside it
    finally:
        await store.close()
    reopened = await Store.open(path)
    try:
        assert (await reopened.settings.get(5)).cooldown_seconds == 5
    finally:
        await reopened.close()


async def test_a_unit_of_work_cancelled_mid_statement_leaves_nothing_and_the_store_keeps_working(
    postgres: str,
) -> None:
    """Shutdown cancels tasks wherever they are, even inside a transaction waiting on the server."""
    store = await Store.open(postgres)
    try:
        async def admit_slowly() -> None:
            async with store.transaction():
                await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=PARAMS, cost=1)
                await store.db.execute("SELECT pg_sleep(5)")

        task = asyncio.create_task(admit_slowly())
        await asyncio.sleep(0.3)
        task.cancel()
        started = asyncio.get_running_loop().time()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert asyncio.get_running_loop().time() - started < 2  # the server was told to stop, not waited for
        assert await store.jobs.unfinished() == []
        job = await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=PARAMS, cost=1)
        assert [j.id for j in await store.jobs.unfinished()] == [job.id]
    finally:
        await store.close()
