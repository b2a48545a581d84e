"""The quota reservation primitive is atomic across truly concurrent writers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import JobParams, Store
from tests.conftest import FakeClock


async def test_two_concurrent_reservations_for_the_last_unit_let_exactly_one_through(
    db_path: Path, clock: FakeClock
) -> None:
    # Two separate connections (as two bot processes would have) racing on the same file.
    first, second = await Store.open(db_path, clock=clock), await Store.open(db_path, clock=clock)
    try:
        since = clock.now
        spent = await first.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="a"), cost=1)
        spending = await first.quotas.reserve(guild_id=1, user_id=2, job_id=spent.id, units=4, since=since, limit=5)
        assert spending.granted

        for _ in range(20):  # many rounds, so an unlucky interleaving would show up
            a = await first.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="b"), cost=1)
            b = await second.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="c"), cost=1)
            results = await asyncio.gather(
                first.quotas.reserve(guild_id=1, user_id=2, job_id=a.id, units=1, since=since, limit=5),
                second.quotas.reserve(guild_id=1, user_id=2, job_id=b.id, units=1, since=since, limit=5),
            )
            assert sorted(r.granted for r in results) == [False, True]
            assert await first.quotas.used_since(1, 2, since) == 5
            winner = a if results[0].granted else b
            assert await first.quotas.refund(winner.id)  # free the unit for the next round
    finally:
        await first.close()
        await second.close()


async def test_reserving_again_for_the_same_job_does_not_charge_twice(store: Store, clock: FakeClock) -> None:
    job = await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="p"), cost=1)
    for _ in range(3):  # e.g. a job resumed after restarts
        result = await store.quotas.reserve(guild_id=1, user_id=2, job_id=job.id, units=1, since=clock.now, limit=1)
        assert result.granted
    assert await store.quotas.used_since(1, 2, clock.now) == 1


async def test_usage_outside_the_window_does_not_count(store: Store, clock: FakeClock) -> None:
    old = await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="p"), cost=1)
    await store.quotas.reserve(guild_id=1, user_id=2, job_id=old.id, units=1, since=clock.now, limit=1)
    clock.advance(days=1)
    new = await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="p"), cost=1)
    result = await store.quotas.reserve(guild_id=1, user_id=2, job_id=new.id, units=1, since=clock.now, limit=1)
    assert result.granted and result.used == 1
