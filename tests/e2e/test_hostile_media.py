"""Crafted vendor media, end to end: the simulator links each task to a hostile file (a decoder bomb behind a
lying header, frames that grow mid-stream, two hours declared with sound, forty sound tracks, a truncated file)
and the real bot prepares it. Every member's message ends, with the link offered and the unit charged (the video
is reachable), the media workers stay small, other videos still arrive, and a restart does not loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.generation.delivery import MEDIA_ATTEMPTS, attempts_key
from bot.store import JobStatus
from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import MessageView
from tests.e2e.conftest import Harness, eventually, job_of, start
from tests.media.hostile import Hostile, hostile
from tests.media.samples import SMALL, Samples, samples

__all__ = ["hostile", "samples"]  # the session's crafted and real files, made once

MIB = 1024 * 1024
FINISHED = "✅ Finished in"
NOT_PREPARED = "The video could not be prepared to play here; open it from the link."
WORKER_BUDGET = 150 * MIB  # an inspection peaks near 70 MB; the unguarded 12000² poster took 900 MB


def description(message: MessageView) -> str:
    return (message.embed or {}).get("description", "")


def mp4s(message: MessageView) -> list[str]:
    return [a.filename for a in message.attachments if a.filename.endswith(".mp4")]


def media_fetches(simulator: Simulator) -> int:
    return sum(1 for r in simulator.requests if r.path.startswith("/media/") and r.path.endswith(".mp4"))


async def _charged(bot, message: MessageView) -> bool:  # type: ignore[no-untyped-def]
    usage = await bot.store.quotas.usage_for_job((await job_of(bot, message)).id)
    return usage is not None and usage.refunded_at is None


TOO_LARGE = "The video is larger than this server's upload limit (20 MB), even re-encoded; open it from the link."


# A file that fits is read before it is uploaded (its declarations; the simulator's vendor gives a preview, so no
# poster frame is decoded). Frames that grow mid-stream are met in a file too large to upload as it came, whose
# length no header states: no re-encode can be planned for it, so it is linked without a frame decoded.
async def _forgotten(bot, job_id: int) -> bool:  # type: ignore[no-untyped-def]
    return await bot.store.state.get(attempts_key(job_id)) is None


async def _ended(bot, job_id: int) -> bool:  # type: ignore[no-untyped-def]
    return (await bot.store.jobs.get(job_id)).status.finished


@pytest.mark.parametrize(("craft", "sentence"), [
    ("huge_lying", NOT_PREPARED), ("two_hours", NOT_PREPARED), ("many_streams", NOT_PREPARED),
    ("switching_padded", TOO_LARGE),
])
async def test_a_crafted_video_ends_as_a_link_while_another_members_video_arrives(
    harness: Harness, hostile: Hostile, samples: Samples, craft: str, sentence: str
) -> None:
    crafted: Path = getattr(hostile, craft)()
    harness.simulator.enqueue(Scenario(step_delay=0.01, video_file=str(crafted)),
                              Scenario(step_delay=0.01, video_file=str(samples(SMALL))))
    async with harness.bot() as bot:
        _, bad = await start(harness, "a crafted file")
        bad = await harness.wait_title(bad, FINISHED, timeout=30)
        _, good = await start(harness, "a real video", user=harness.world.moderator)
        good = await harness.wait_title(good, FINISHED, timeout=30)
        assert await _charged(bot, bad)  # the member can open it from the link: delivered
        peak = bot.media_workers.peak_rss

    assert sentence in description(bad)
    assert mp4s(bad) == [] and bad.button("Open")["url"].startswith(harness.simulator.media_origin)
    assert 0 < peak < WORKER_BUDGET
    assert mp4s(good) == ["a-real-video.mp4"]  # the next video is prepared by a fresh worker, as usual


async def test_a_truncated_file_still_ends_the_message(harness: Harness, hostile: Hostile) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.01, video_file=str(hostile.truncated())))
    async with harness.bot() as bot:
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=30)
        job = await job_of(bot, done)
        await eventually(lambda: _ended(bot, job.id), message="the job to end")
        job = await job_of(bot, done)
    # It fits and no worker died of it: it goes as it came, without a frame of itself.
    assert job.status is JobStatus.SUCCEEDED and "poster.jpg" not in [a.filename for a in done.attachments]


async def test_a_video_whose_preparation_keeps_dying_is_linked_after_a_restart_without_fetching_it(
    harness: Harness, hostile: Hostile
) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.3, video_file=str(hostile.huge_lying())))
    async with harness.bot() as bot:
        _, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")
        job = await job_of(bot, progress)
        # What two processes killed while preparing this video (the machine's OOM killer) leave behind.
        await bot.store.state.put(attempts_key(job.id), str(MEDIA_ATTEMPTS))
    async with harness.bot() as bot:  # the restart adopts it and finishes it from its task
        done = await harness.wait_title(progress, FINISHED, timeout=30)
        await eventually(lambda: _forgotten(bot, job.id), message="its delivery attempts to be forgotten")
        assert await _charged(bot, done)
    assert media_fetches(harness.simulator) == 0  # not downloaded again, let alone decoded
    assert NOT_PREPARED in description(done) and mp4s(done) == []
