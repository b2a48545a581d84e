"""Two JobRunners sharing one database, as two bot processes do, on SQLite and on PostgreSQL: the caps count
every process's videos, a silent process's jobs are adopted and finished in their own messages without being
sent again or charged twice, the silent process stops them without ending them, a Cancel pressed in one
process stops the video running in the other, a process adopts its own shards' jobs before others', and those
of a dead process of the same machine at once."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.config import Settings
from bot.core.sharding import Shards
from bot.generation.runner import Caps, JobRunner
from bot.generation.service import VideoOptions, VideoService
from bot.generation.state import Delivery, Phase, Places, ProgressState
from bot.quotas.admission import QuotaService
from bot.quotas.policy import Member
from bot.store import Job, JobStatus, Store
from bot.videoapi.simulator import Scenario, Simulator
from tests.conftest import FakeClock
from tests.generation.conftest import LEASE_TIMEOUT, RecordingPresenter, running
from tests.generation.test_service import CHANNEL, launch, pressed
from tests.store.backends import database

__all__ = ["database", "db_path"]

# About two seconds of generating: long enough to fall silent, adopt and notice in the middle of it.
SLOW = Scenario(step_delay=0.2, progress_steps=(10, 20, 30, 40, 50, 60, 70, 80, 90))
MEDIUM = Scenario(step_delay=0.1, progress_steps=(20, 40, 60, 80))
BRISK = Scenario(step_delay=0.05, progress_steps=(25, 50, 75))  # long enough to be counted, short to wait for
STUCK = Scenario(http_status=503, http_error_times=99, retry_after=30)  # the service never answers the start
CAPS = Caps(total=4, per_guild=2)


@pytest.fixture
def db_path(database: Path | str) -> Path | str:
    return database


@dataclass
class Process:
    """One bot process's generation side: its own connection to the database, runner and progress messages."""

    store: Store
    runner: JobRunner
    videos: VideoService
    presenter: RecordingPresenter


@asynccontextmanager
async def process(
    db_path: Path | str, clock: FakeClock, settings: Settings, owner: str, *, caps: Caps = CAPS, backoff: float = 0.01
) -> AsyncIterator[Process]:
    store = await Store.open(db_path, clock=clock)
    presenter = RecordingPresenter()
    quotas = QuotaService(store, settings)
    try:
        async with running(store, settings, quotas, presenter, owner=owner, caps=caps, backoff=backoff) as runner:
            yield Process(store, runner, VideoService(store, quotas, runner, settings), presenter)
    finally:
        await store.close()


async def video(p: Process, user: int, guild: int = 1) -> Job:
    plan = await p.videos.plan_video(guild, VideoOptions(f"a cow for {user}"), channel_id=CHANNEL)
    return await launch(p.videos, plan, Member(user, frozenset(), False))


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"timed out waiting for {what or check}"
        await asyncio.sleep(0.01)


async def ended(store: Store, job: Job) -> Job:
    async def done() -> bool:
        return (await store.jobs.get(job.id)).status.finished

    await until(done, what=f"job {job.id} to end")
    return await store.jobs.get(job.id)


def posts(simulator: Simulator) -> int:
    """Generations sent to the video service."""
    return sum(r.method == "POST" for r in simulator.requests)


async def test_the_caps_count_the_videos_of_every_process(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(BRISK)
    caps = Caps(total=3, per_guild=2)
    async with (
        process(db_path, clock, settings, "a", caps=caps) as a,
        process(db_path, clock, settings, "b", caps=caps) as b,
    ):
        first, second = await video(a, 1), await video(a, 2)  # server 1 is at its limit, in process a
        same_server = await video(b, 3)
        queued = next(s for s in b.presenter.shown[same_server.id] if s.phase is Phase.QUEUED)
        assert queued.queue_reason == "Server limit: 2 videos at a time"
        other_server = await video(b, 4, guild=2)  # three generating in all: the bot's limit
        assert Phase.QUEUED not in b.presenter.phases(other_server.id), b.presenter.shown[other_server.id]
        last = await video(b, 5, guild=3)
        queued = next(s for s in b.presenter.shown[last.id] if s.phase is Phase.QUEUED)
        assert queued.queue_reason.startswith("The bot is at its limit")
        assert await a.store.jobs.generating() == 3
        for job in (first, second, same_server, other_server, last):  # each waiting one starts when a place frees
            assert (await ended(a.store, job)).status is JobStatus.SUCCEEDED


async def test_a_silent_processs_video_is_finished_by_another_in_its_own_message_and_charged_once(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(SLOW)
    async with process(db_path, clock, settings, "a") as a, process(db_path, clock, settings, "b") as b:
        job = await video(a, 1)

        async def has_task() -> bool:
            return (await a.store.jobs.get(job.id)).task_id is not None

        await until(has_task, what="the service to give the task ID")
        assert await b.runner.adopt() == 0  # a is working on it: nothing to take
        clock.advance(seconds=LEASE_TIMEOUT + 1)  # a has not renewed its leases for longer than allowed
        assert await b.runner.adopt() == 1
        a.runner.keep_leases()  # a wakes up: its first heartbeat finds the job gone, and stops it
        done = await ended(b.store, job)
        await until(lambda: _idle(a.runner, job.id), what="a to stop the job")
        charge = await b.store.quotas.usage_for_job(job.id)

    assert (done.status, done.owner) == (JobStatus.SUCCEEDED, "b")
    assert b.presenter.concluded[job.id].phase is Phase.FINISHED
    assert b.presenter.concluded_in[job.id].message_id == done.message_id  # in its own progress message
    assert job.id not in a.presenter.concluded  # a never showed an end
    assert posts(simulator) == 1  # b polled the task a had started: the video was not asked for again
    assert charge is not None and charge.refunded_at is None and charge.units == 1


async def test_a_video_taken_over_while_generating_never_waits_behind_the_line_it_holds_a_place_in(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(MEDIUM)
    one = Caps(total=4, per_guild=1)
    async with (
        process(db_path, clock, settings, "a", caps=one) as a,
        process(db_path, clock, settings, "b", caps=one) as b,
    ):
        generating = await video(a, 1)
        waiting = await video(b, 2)  # the server's one place is taken by a's video
        assert b.presenter.shown[waiting.id][-1].queue_reason == "Server limit: 1 video at a time"
        clock.advance(seconds=LEASE_TIMEOUT + 1)
        assert await b.runner.adopt() == 1  # in line behind b's own, which waits for the place it holds
        for job in (generating, waiting):
            assert (await ended(b.store, job)).status is JobStatus.SUCCEEDED


async def test_a_job_whose_task_crashed_is_let_go_and_taken_up_again(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    class Unforeseen(BaseException):
        """Nothing in the bot catches it (the delivery guard ends the job on any Exception: test_delivery_guard)."""

    class FlakyPresenter(RecordingPresenter):
        """Discord's side fails once, in a way the bot did not foresee."""

        failed = False

        async def conclude(self, places: Places, state: ProgressState) -> Delivery:
            if not self.failed:
                self.failed = True
                raise Unforeseen("a bug in showing the end")
            return await super().conclude(places, state)

    store = await Store.open(db_path, clock=clock)
    quotas = QuotaService(store, settings)
    try:
        async with running(store, settings, quotas, FlakyPresenter(), owner="a") as runner:
            job = await video(Process(store, runner, VideoService(store, quotas, runner, settings),
                                      RecordingPresenter()), 1)

            async def let_go() -> bool:
                return (await store.jobs.get(job.id)).owner is None

            await until(let_go, what="the crashed job to be let go")  # not held by a process that dropped it
            clock.advance(seconds=LEASE_TIMEOUT + 1)  # as an unclaimed job, once older than the grace period,
            assert await runner.adopt() == 1  # the next adoption (here, its own process's) takes it up again
            done = await ended(store, job)
        assert done.status is JobStatus.SUCCEEDED
        assert posts(simulator) == 1  # its video was made once; the second run only showed it
    finally:
        await store.close()


async def test_a_video_started_without_a_task_id_by_a_silent_process_is_failed_not_sent_again(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(STUCK)
    # a sends the start and falls silent (it would retry only after a minute)
    async with process(db_path, clock, settings, "a", backoff=60) as a, process(db_path, clock, settings, "b") as b:
        job = await video(a, 1)
        await until(lambda: _sync(bool(simulator.requests)), what="the start to reach the service")
        sent = posts(simulator)
        clock.advance(seconds=LEASE_TIMEOUT + 1)
        assert await b.runner.adopt() == 1
        done = await ended(b.store, job)
        assert (done.status, done.error_kind) == (JobStatus.FAILED, "interrupted")
        assert posts(simulator) == sent  # nothing sent again: the service may have started it, and may bill it
        charge = await b.store.quotas.usage_for_job(job.id)
        assert charge is not None and charge.refunded_at is not None  # no video, no charge


async def test_a_clean_shutdown_hands_its_jobs_to_another_process_at_once(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(MEDIUM)
    async with process(db_path, clock, settings, "b") as b:
        async with process(db_path, clock, settings, "a", caps=Caps(total=1, per_guild=1)) as a:
            running_job, waiting_job = await video(a, 1), await video(a, 2)

            async def has_task() -> bool:
                return (await a.store.jobs.get(running_job.id)).task_id is not None

            await until(has_task, what="the task ID")
        # a stopped (a rolling restart): no lease to wait out
        assert await b.runner.adopt() == 2
        for job in (running_job, waiting_job):
            assert (await ended(b.store, job)).status is JobStatus.SUCCEEDED
    assert posts(simulator) == 2  # the running one was polled, the waiting one sent once


async def test_a_cancel_pressed_in_one_process_stops_the_video_running_in_another(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(SLOW)
    async with process(db_path, clock, settings, "a") as a, process(db_path, clock, settings, "b") as b:
        b.runner.keep_leases()
        job = await video(b, 1)
        await until(lambda: _sync(b.runner.is_active(job.id)), what="the job to run in b")
        # The server's buttons reach process a (its shard), which records the Cancel; b is the one to stop.
        await a.videos.cancel(*await pressed(a.store, job), Member(1, frozenset(), False))
        done = await ended(b.store, job)
        charge = await b.store.quotas.usage_for_job(job.id)
    assert (done.status, done.cancelled_by) == (JobStatus.CANCELLED, 1)
    assert b.presenter.concluded[job.id].phase is Phase.CANCELLED
    assert charge is not None and charge.refunded_at is not None


async def test_a_process_adopts_its_own_shards_jobs_first_and_the_others_after_twice_the_timeout(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(STUCK)
    on_shard = {shard: (1000 * 2 + shard) << 22 for shard in (0, 1)}  # Discord: (guild_id >> 22) % 2
    async with (
        process(db_path, clock, settings, "a", backoff=60) as a,  # a starts both videos and falls silent
        process(db_path, clock, settings, "b") as b,
    ):
        jobs = {shard: await video(a, 1 + shard, guild=guild) for shard, guild in on_shard.items()}
        clock.advance(seconds=LEASE_TIMEOUT + 1)  # a has been silent for longer than the lease allows
        mine = Shards(2, (1,))  # b runs shard 1 of 2
        assert await b.runner.adopt(mine) == 1
        assert [(await b.store.jobs.get(jobs[shard].id)).owner for shard in (0, 1)] == ["a", "b"]  # 0 waits
        clock.advance(seconds=LEASE_TIMEOUT)  # twice the timeout: nobody running shard 0 took it
        assert await b.runner.adopt(mine) == 1
        assert (await b.store.jobs.get(jobs[0].id)).owner == "b"


async def test_the_videos_of_a_dead_process_of_this_machine_are_adopted_without_waiting_out_the_lease(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    """A single bot restarted after kill -9 resumes at once: its old PID is gone. A live one is waited out."""
    simulator.set_default(STUCK)
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    dead_owner = f"{socket.gethostname()}:{gone.pid}:0badc0de"
    # An earlier run that had this very PID (a container restarted is PID 1 again) is gone too.
    earlier_run = f"{socket.gethostname()}:{os.getpid()}:0badc0de"
    live_owner = f"{socket.gethostname()}:{os.getppid()}:0badc0de"  # the process that started the tests
    async with (
        process(db_path, clock, settings, live_owner, backoff=60) as alive,
        process(db_path, clock, settings, dead_owner, backoff=60) as dead,
        process(db_path, clock, settings, earlier_run, backoff=60) as earlier,
        process(db_path, clock, settings, "restarted") as restarted,
    ):
        await video(alive, 1)
        orphans = [await video(dead, 2, guild=2), await video(earlier, 3, guild=3)]
        assert await restarted.runner.adopt() == 2  # no clock advanced: only the dead processes' videos
        for orphan in orphans:
            assert (await restarted.store.jobs.get(orphan.id)).owner == "restarted"


def _idle(runner: JobRunner, job_id: int) -> Awaitable[bool]:
    return _sync(not runner.is_active(job_id))


async def _sync(value: bool) -> bool:
    return value


async def test_a_place_in_line_counts_the_jobs_waiting_in_every_process(
    db_path: Path | str, clock: FakeClock, settings: Settings, simulator: Simulator
) -> None:
    simulator.set_default(MEDIUM)
    async with process(db_path, clock, settings, "a") as a, process(db_path, clock, settings, "b") as b:
        running_jobs = [await video(a, 1), await video(a, 2)]  # server 1 at its limit of 2, in process a
        first_waiting = await video(a, 3)
        second_waiting = await video(b, 4)  # the same server's line, held by the other process

        def place(p: Process, job: Job) -> tuple[int | None, str | None]:
            shown = next(s for s in p.presenter.shown[job.id] if s.phase is Phase.QUEUED)
            return shown.queue_position, shown.queue_reason

        assert place(a, first_waiting) == (1, "Server limit: 2 videos at a time")
        assert place(b, second_waiting) == (2, "Server limit: 2 videos at a time")  # not first of its process
        for job in (*running_jobs, first_waiting, second_waiting):
            assert (await ended(a.store, job)).status is JobStatus.SUCCEEDED
