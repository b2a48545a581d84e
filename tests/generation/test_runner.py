"""JobRunner and JobExecution without Discord: the waiting line, recorded cancels, restarts and endings, on a
real database and the simulator, with a recorder where the Discord side would be."""

from __future__ import annotations

import asyncio

from bot.core.config import Settings
from bot.generation.runner import JobRunner
from bot.generation.service import VideoOptions, VideoService
from bot.generation.state import Delivery, Phase, Places, ProgressState
from bot.quotas.admission import QuotaService
from bot.quotas.policy import Member
from bot.store import Job, JobStatus, Store
from bot.videoapi.simulator import Scenario, Simulator
from tests.conftest import FakeClock
from tests.generation.conftest import LEASE_TIMEOUT, RecordingPresenter, running
from tests.generation.test_service import CHANNEL, GUILD, MAYA, ended, launch

SLOW = Scenario(step_delay=0.1, progress_steps=(10, 30, 50, 70, 90))
OTHER_GUILD = 2


async def plan_and_launch(videos: VideoService, member: Member = MAYA, guild: int = GUILD) -> Job:
    plan = await videos.plan_video(guild, VideoOptions("a cow"), channel_id=CHANNEL)
    return await launch(videos, plan, member)


async def wait_for(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_server_at_its_cap_waits_in_line_while_another_server_runs(
    videos: VideoService, store: Store, simulator: Simulator, presenter: RecordingPresenter
) -> None:
    simulator.set_default(SLOW)
    first, second, third = [await plan_and_launch(videos, Member(n, frozenset(), False)) for n in (1, 2, 3)]
    other = await plan_and_launch(videos, Member(4, frozenset(), False), guild=OTHER_GUILD)
    # The fixture's caps: 2 per server, 4 in all. The third of GUILD waits; the other server's does not.
    assert Phase.QUEUED in presenter.phases(third.id)
    queued = next(s for s in presenter.shown[third.id] if s.phase is Phase.QUEUED)
    assert queued.queue_position == 1 and queued.queue_reason == "Server limit: 2 videos at a time"
    assert Phase.QUEUED not in presenter.phases(other.id)
    for job in (first, second, third, other):
        assert (await ended(store, job)).status is JobStatus.SUCCEEDED


async def test_one_member_may_run_as_many_as_admission_allowed(
    videos: VideoService, store: Store, simulator: Simulator, presenter: RecordingPresenter
) -> None:
    simulator.set_default(SLOW)
    await store.settings.update(GUILD, max_jobs_per_user=2)
    jobs = [await plan_and_launch(videos) for _ in range(2)]
    await asyncio.sleep(0.15)
    assert all(Phase.QUEUED not in presenter.phases(job.id) for job in jobs)  # no second opinion in the line


async def test_a_recorded_cancel_of_a_waiting_job_ends_it_without_running_it(
    videos: VideoService, store: Store, simulator: Simulator, runner: JobRunner
) -> None:
    simulator.set_default(SLOW)
    running = [await plan_and_launch(videos, Member(n, frozenset(), False)) for n in (1, 2)]
    waiting = await plan_and_launch(videos, Member(3, frozenset(), False))
    assert await store.jobs.request_cancel(waiting.id, 3)
    runner.stop(waiting.id)
    done = await ended(store, waiting)
    assert (done.status, done.cancelled_by, done.attempts) == (JobStatus.CANCELLED, 3, 0)
    for job in running:
        await ended(store, job)


async def test_the_next_start_honours_cancels_recorded_before_a_shutdown(
    store: Store, settings: Settings, quotas: QuotaService, *, simulator: Simulator, videos: VideoService,
    runner: JobRunner,
) -> None:
    simulator.set_default(SLOW)
    job = await plan_and_launch(videos)
    await wait_for(lambda: _running(store, job.id))
    await runner.shutdown()  # the bot stops; the job stays resumable...
    assert not (await store.jobs.get(job.id)).status.finished
    assert await store.jobs.request_cancel(job.id, MAYA.user_id)  # ...and a Cancel was recorded meanwhile

    presenter = RecordingPresenter()
    async with running(store, settings, quotas, presenter, owner="process-b") as restarted:
        assert await restarted.adopt() == 1  # released by the shutdown: adopted at once
        done = await ended(store, job)
    assert done.status is JobStatus.CANCELLED and presenter.concluded[job.id].phase is Phase.CANCELLED
    assert (await store.quotas.usage_for_job(job.id)).refunded_at is not None  # type: ignore[union-attr]


async def test_a_job_that_never_got_its_progress_message_is_explained_and_refunded(
    store: Store, settings: Settings, quotas: QuotaService, videos: VideoService, clock: FakeClock
) -> None:
    plan = await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL)
    job = (await videos.admit(plan, MAYA, asked_in=CHANNEL)).job
    await videos.posted(job, channel_id=CHANNEL, message_id=555)
    await videos.thread_opened(job, 777)  # then the bot died before posting the progress message

    presenter = RecordingPresenter()
    async with running(store, settings, quotas, presenter, owner="process-b") as restarted:
        assert await restarted.adopt() == 0  # its process may still be opening the thread
        clock.advance(seconds=LEASE_TIMEOUT + 1)  # ...but it has said nothing for longer than the lease allows
        assert await restarted.adopt() == 0  # taken over, and ended at once: nothing to put in line
    (places, text), = presenter.notes
    assert places == Places(GUILD, thread_id=777, message_id=None, outside=(CHANNEL, 555))
    assert f"<@{MAYA.user_id}>" in text and "nothing was charged" in text
    done = await store.jobs.get(job.id)
    assert (done.status, done.error_kind, done.delivered_to) == (JobStatus.FAILED, "interrupted", "thread")
    assert (await store.quotas.usage_for_job(job.id)).refunded_at is not None  # type: ignore[union-attr]


async def test_a_video_shown_nowhere_is_not_charged(
    store: Store, settings: Settings, quotas: QuotaService, videos: VideoService
) -> None:
    class NowherePresenter(RecordingPresenter):
        async def conclude(self, places: Places, state: ProgressState) -> Delivery:
            await super().conclude(places, state)
            return Delivery(None, reason="the thread was deleted and the channel refused the bot")

    async with running(store, settings, quotas, NowherePresenter()) as runner:
        service = VideoService(store, quotas, runner, settings)
        job = await ended(store, await plan_and_launch(service))
    assert (job.status, job.error_kind, job.delivered_to) == (JobStatus.FAILED, "undelivered", None)
    assert job.error and "the thread was deleted" in job.error
    assert (await store.quotas.usage_for_job(job.id)).refunded_at is not None  # type: ignore[union-attr]


async def _running(store: Store, job_id: int) -> bool:
    job = await store.jobs.get(job_id)
    return job.task_id is not None
