"""Job leases between processes: a held job stays with its process, a silent one's jobs go to exactly one other,
and the videos generating at once are counted across all of them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.store import Job, JobParams, JobStatus, Store
from tests.conftest import FakeClock

GRACE = timedelta(seconds=60)
A, B, C = "process-a", "process-b", "process-c"


async def new_job(store: Store, *, guild_id: int = 1, user_id: int = 2) -> Job:
    return await store.jobs.create(guild_id=guild_id, user_id=user_id, model="sora-2", params=JobParams("p"), cost=1)


async def test_a_held_job_is_not_another_processs_to_claim(store: Store) -> None:
    job = await new_job(store)
    assert await store.leases.claim(job.id, A)
    assert not await store.leases.claim(job.id, B)
    assert await store.leases.claim(job.id, A)  # claiming again is renewing
    held = await store.jobs.get(job.id)
    assert (held.owner, held.heartbeat_at) == (A, store.db.clock())

    await store.jobs.finish(job.id, JobStatus.SUCCEEDED)
    assert not await store.leases.claim(job.id, A)  # a finished job has nothing to hold


async def test_a_silent_processs_jobs_are_adopted_after_the_grace_period(store: Store, clock: FakeClock) -> None:
    first, second = await new_job(store), await new_job(store)
    for job in (first, second):
        assert await store.leases.claim(job.id, A)
    await store.jobs.mark_running(first.id)

    clock.advance(seconds=59)
    assert await store.leases.adopt_expired(B, grace=GRACE) == []  # not silent long enough
    assert await store.leases.renew(A) == {first.id, second.id}

    clock.advance(seconds=61)  # A heartbeated 61 s ago and has said nothing since
    adopted = await store.leases.adopt_expired(B, grace=GRACE)
    assert [(job.id, job.owner, job.status) for job in adopted] == [
        (first.id, B, JobStatus.RUNNING), (second.id, B, JobStatus.QUEUED),
    ]
    assert await store.leases.renew(A) == set()  # A wakes up: it holds nothing now and must stop both
    assert await store.leases.renew(B) == {first.id, second.id}
    assert await store.leases.adopt_expired(C, grace=GRACE) == []


async def test_a_process_that_keeps_heartbeating_keeps_its_jobs(store: Store, clock: FakeClock) -> None:
    job = await new_job(store)
    await store.leases.claim(job.id, A)
    for _ in range(5):
        clock.advance(seconds=20)  # a third of the grace period
        assert await store.leases.renew(A) == {job.id}
        assert await store.leases.adopt_expired(B, grace=GRACE) == []


async def test_a_clean_shutdown_hands_its_jobs_over_at_once(store: Store) -> None:
    job = await new_job(store)
    await store.leases.claim(job.id, A)
    assert await store.leases.release(A) == 1
    assert [j.id for j in await store.leases.adopt_expired(B, grace=GRACE)] == [job.id]


async def test_a_job_nobody_claimed_is_adopted_once_it_is_older_than_the_grace_period(
    store: Store, clock: FakeClock
) -> None:
    """Its process admitted it and died before its runner claimed it."""
    job = await new_job(store)
    assert await store.leases.adopt_expired(B, grace=GRACE) == []  # its own process may still be about to
    clock.advance(seconds=61)
    assert [j.id for j in await store.leases.adopt_expired(B, grace=GRACE)] == [job.id]


async def test_finished_and_own_jobs_are_never_adopted(store: Store, clock: FakeClock) -> None:
    done, mine = await new_job(store), await new_job(store)
    await store.leases.claim(done.id, A)
    await store.leases.claim(mine.id, B)
    await store.jobs.finish(done.id, JobStatus.FAILED, error="x", error_kind="refused")
    clock.advance(hours=1)
    assert await store.leases.adopt_expired(B, grace=GRACE) == []


async def test_adoption_takes_only_the_servers_of_the_adopters_shards(store: Store, clock: FakeClock) -> None:
    # Discord: shard_id = (guild_id >> 22) % shard_count
    on_shard = {shard: [await new_job(store, guild_id=(n * 2 + shard) << 22) for n in range(3)] for shard in (0, 1)}
    for jobs in on_shard.values():
        for job in jobs:
            await store.leases.claim(job.id, A)
    clock.advance(minutes=5)
    adopted = await store.leases.adopt_expired(B, grace=GRACE, shard_count=2, shard_ids=[1], limit=2)
    assert [j.id for j in adopted] == [j.id for j in on_shard[1][:2]]  # oldest first, at most `limit`
    adopted = await store.leases.adopt_expired(C, grace=GRACE, shard_count=2, shard_ids=[0, 1])
    assert sorted(j.id for j in adopted) == sorted([j.id for j in on_shard[0]] + [on_shard[1][2].id])


async def test_processes_adopting_at_the_same_moment_never_take_the_same_job(
    database: Path | str, clock: FakeClock
) -> None:
    """Three survivors find a dead process's jobs at once: each job goes to exactly one of them."""
    stores = [await Store.open(database, clock=clock) for _ in range(3)]
    try:
        for _ in range(5):
            jobs = [await new_job(stores[0], user_id=n) for n in range(30)]
            for job in jobs:
                await stores[0].leases.claim(job.id, "dead")
            clock.advance(minutes=5)
            results = await asyncio.gather(
                *(store.leases.adopt_expired(name, grace=GRACE) for store, name in zip(stores, (A, B, C), strict=True))
            )
            taken = [job.id for adopted in results for job in adopted]
            assert sorted(taken) == [job.id for job in jobs]  # every job once, none twice
            for job in jobs:
                await stores[0].jobs.finish(job.id, JobStatus.SUCCEEDED)
    finally:
        for store in stores:
            await store.close()


async def test_videos_generating_at_once_are_counted_from_the_database(store: Store) -> None:
    jobs = [await new_job(store, guild_id=g, user_id=u) for g, u in ((1, 2), (1, 2), (1, 3), (9, 2))]
    for job in jobs:
        await store.jobs.mark_running(job.id)
    await store.jobs.finish(jobs[1].id, JobStatus.SUCCEEDED)
    await new_job(store)  # queued: waiting, not generating
    assert await store.jobs.generating() == 3
    assert await store.jobs.generating(guild_id=1) == 2
    assert await store.jobs.generating(guild_id=1, user_id=2) == 1


async def test_starting_a_job_respects_the_caps_counted_across_processes(store: Store) -> None:
    caps = {"max_total": 3, "max_per_server": 2, "max_per_member": 1}
    first = await new_job(store, guild_id=1, user_id=2)
    assert (await store.leases.start(first.id, A, **caps)).started
    started = await store.jobs.get(first.id)
    assert (started.status, started.owner, started.attempts) == (JobStatus.RUNNING, A, 1)
    assert (await store.leases.start(first.id, A, **caps)).started  # resuming: it does not count against itself

    second_of_member = await new_job(store, guild_id=1, user_id=2)
    assert (await store.leases.start(second_of_member.id, B, **caps)).full == "member"
    other_member = await new_job(store, guild_id=1, user_id=3)
    assert (await store.leases.start(other_member.id, B, **caps)).started
    third_in_server = await new_job(store, guild_id=1, user_id=4)
    assert (await store.leases.start(third_in_server.id, B, **caps)).full == "server"
    elsewhere = await new_job(store, guild_id=7, user_id=2)
    assert (await store.leases.start(elsewhere.id, B, **caps)).started
    fourth = await new_job(store, guild_id=8, user_id=5)
    assert (await store.leases.start(fourth.id, B, **caps)).full == "bot"

    held = await new_job(store, guild_id=8, user_id=6)
    await store.leases.claim(held.id, A)
    assert not (await store.leases.start(held.id, B, **caps)).started  # another process holds it


async def test_two_processes_starting_jobs_for_the_last_place_start_one(database: Path | str, clock: FakeClock) -> None:
    first, second = await Store.open(database, clock=clock), await Store.open(database, clock=clock)
    caps = {"max_total": 1, "max_per_server": 5, "max_per_member": 5}
    try:
        for round_number in range(10):
            a = await new_job(first, user_id=round_number)
            b = await new_job(second, user_id=100 + round_number)
            results = await asyncio.gather(first.leases.start(a.id, A, **caps), second.leases.start(b.id, B, **caps))
            assert sorted(r.started for r in results) == [False, True]
            assert await first.jobs.generating() == 1
            for job in (a, b):
                await first.jobs.finish(job.id, JobStatus.SUCCEEDED)
    finally:
        await first.close()
        await second.close()


async def test_a_job_its_process_let_go_is_adopted_at_the_next_adoption_by_any_process(
    store: Store, clock: FakeClock
) -> None:
    """A process that could not take a job over (or whose task for it crashed) lets it go rather than sit on it:
    unclaimed again, the job goes to the next adoption once it is older than the grace period (this one is)."""
    job = await new_job(store)
    await store.leases.claim(job.id, A)
    clock.advance(seconds=61)
    assert [j.id for j in await store.leases.adopt_expired(B, grace=GRACE)] == [job.id]
    assert await store.leases.let_go(job.id, B)
    assert not await store.leases.let_go(job.id, B)  # only what one holds
    assert [j.id for j in await store.leases.adopt_expired(B, grace=GRACE)] == [job.id]  # B itself may retry it
    assert await store.leases.renew(B) == {job.id}
    await store.jobs.finish(job.id, JobStatus.FAILED, error="x", error_kind="failed")
    assert not await store.leases.let_go(job.id, B)  # an ended job has nothing to let go
