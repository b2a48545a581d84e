"""Showing a job's end never kills its task: whatever the Discord side raises, the job ends, linked and charged
when the member can reach the video, failed and refunded when not; a video whose preparation keeps dying is
linked without being fetched again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.generation.delivery import MEDIA_ATTEMPTS, NOT_SHOWN_MADE, attempts_key
from bot.generation.service import VideoOptions, VideoService
from bot.generation.state import Delivery, Phase, Places, ProgressState
from bot.store import JobStatus, Store
from bot.videoapi.simulator import Scenario, Simulator
from tests.generation.conftest import RecordingPresenter
from tests.generation.test_service import CHANNEL, GUILD, MAYA, ended, launch


@dataclass
class CrashingPresenter(RecordingPresenter):
    """Raises while showing a finished video, as a media bug did (StopIteration from the fit planner); with
    `always`, also when it is shown as a link only."""

    always: bool = False
    attempts: int = 0

    async def conclude(self, places: Places, state: ProgressState) -> Delivery:
        if state.phase is Phase.FINISHED:
            self.attempts += 1
            if self.always or not state.fit_failed:
                raise RuntimeError("coroutine raised StopIteration")
        return await super().conclude(places, state)


@pytest.fixture
def presenter() -> CrashingPresenter:
    return CrashingPresenter()


async def _video(videos: VideoService) -> int:
    plan = await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL)
    return (await launch(videos, plan, MAYA)).id


async def _forgotten(store: Store, job_id: int) -> None:
    for _ in range(200):
        if await store.state.get(attempts_key(job_id)) is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {job_id}'s delivery attempts are still counted")


async def _refunded(store: Store, job_id: int) -> bool:
    usage = await store.quotas.usage_for_job(job_id)
    assert usage is not None
    return usage.refunded_at is not None


async def test_a_delivery_that_raises_is_shown_again_as_a_link_and_charged(
    videos: VideoService, store: Store, presenter: CrashingPresenter
) -> None:
    job = await ended(store, await store.jobs.get(await _video(videos)))
    assert job.status is JobStatus.SUCCEEDED
    shown = presenter.concluded[job.id]
    assert shown.fit_failed and not shown.video_attached and shown.video_url  # "could not be prepared" + link
    assert presenter.attempts == 2
    assert not await _refunded(store, job.id)  # the member can reach the video: charged
    await _forgotten(store, job.id)  # nothing left to count


async def test_when_even_the_link_cannot_be_shown_the_job_fails_refunded_with_one_sentence(
    videos: VideoService, store: Store, presenter: CrashingPresenter
) -> None:
    presenter.always = True
    job = await ended(store, await store.jobs.get(await _video(videos)))
    assert job.status is JobStatus.FAILED and job.error_kind == "undelivered"
    assert await _refunded(store, job.id)
    assert [text for _, text in presenter.notes] == [NOT_SHOWN_MADE]


async def test_a_video_whose_preparation_died_twice_is_linked_without_fetching_it_again(
    videos: VideoService, store: Store, simulator: Simulator, presenter: CrashingPresenter
) -> None:
    simulator.set_default(Scenario(step_delay=0.1))
    job_id = await _video(videos)
    # As two processes that died while preparing this video (the OOM killer, say) left it in the database.
    await store.state.put(attempts_key(job_id), str(MEDIA_ATTEMPTS))
    job = await ended(store, await store.jobs.get(job_id))
    assert job.status is JobStatus.SUCCEEDED
    assert presenter.attempts == 1 and presenter.concluded[job_id].fit_failed  # straight to the link
    await _forgotten(store, job_id)
