"""Uploads follow each server's live limit: 20 MiB by default since September 2026, more with boosts, read from
the interaction that started the job and kept with it; a 413 from Discord steps down to the next smaller limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.videoapi.simulator import Scenario, Simulator
from fakediscord import MessageView
from tests.e2e.conftest import Harness, job_of, start
from tests.e2e.test_media_delivery import VendorCDN, cdn
from tests.media.playback import play
from tests.media.samples import Sample, Samples, samples

__all__ = ["cdn", "samples"]

MIB = 1024 * 1024
FINISHED = "✅ Finished in"
THIRTY_MIB = Sample(640, 360, 24, 4.0, 0)  # ~32 MiB of lossless noise that re-encodes in a second or two


@pytest.fixture
async def simulator(cdn: VendorCDN) -> AsyncIterator[Simulator]:
    # Slow enough to change the server between the start and the upload, fast enough to stay a test.
    sim = Simulator(Scenario(step_delay=0.05), media_base_url=cdn.base)
    await sim.start()
    yield sim
    await sim.close()


def videos(message: MessageView) -> list[int]:
    """Sizes of the mp4 files attached to a message."""
    return [a.size for a in message.attachments if a.filename.endswith(".mp4")]


def description(message: MessageView) -> str:
    return (message.embed or {}).get("description", "")


def blob(tmp_path: Path, mib: int) -> Path:
    """A file of `mib` MiB that is not worth decoding: under the limit it goes as it came."""
    path = tmp_path / f"video-{mib}.mp4"
    path.write_bytes(b"\0" * (mib * MIB))
    return path


async def test_a_15_mib_video_on_a_default_server_is_attached_as_it_came(
    harness: Harness, cdn: VendorCDN, tmp_path: Path
) -> None:
    cdn.video = blob(tmp_path, 15)  # was re-encoded to fit 10 MiB, needlessly, before
    async with harness.bot() as bot:
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED)
        job = await job_of(bot, done)
    assert videos(done) == [15 * MIB]
    assert "Re-encoded" not in description(done)
    assert job.params.upload_limit == 20 * MIB  # what the /video interaction reported


async def test_a_30_mib_video_is_fitted_under_20_mib_not_10(
    harness: Harness, cdn: VendorCDN, samples: Samples, tmp_path: Path
) -> None:
    cdn.video = samples(THIRTY_MIB)
    assert cdn.video.stat().st_size > 30 * MIB
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, FINISHED, timeout=90)
    size, = videos(done)
    assert size <= 20 * MIB
    assert "Re-encoded to fit this server's 20 MB limit" in description(done)
    uploaded = tmp_path / "uploaded.mp4"
    uploaded.write_bytes(next(a.data for a in done.attachments if a.filename.endswith(".mp4")))
    assert play(uploaded).frames == play(cdn.video).frames


async def test_a_boost_lost_mid_job_steps_down_on_413_and_still_delivers_the_video(
    harness: Harness, cdn: VendorCDN, samples: Samples
) -> None:
    fake, guild = harness.fake, harness.world.guild
    guild.set_premium_tier(2)  # 50 MiB: the 30 MiB video would go as it came
    cdn.video = samples(THIRTY_MIB)
    refused = fake.expect_violation(40005)
    async with harness.bot() as bot:
        _, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")
        guild.set_premium_tier(0)  # the boosts lapse while the video is made: 20 MiB again
        done = await harness.wait_title(progress, FINISHED, timeout=90)
        job = await job_of(bot, done)
        usage = await bot.store.quotas.usage_for_job(job.id)
    assert job.params.upload_limit == 50 * MIB and refused.hits  # the interaction's number, then Discord's 413
    size, = videos(done)
    assert size <= 20 * MIB
    assert "Re-encoded to fit this server's 20 MB limit" in description(done)
    assert usage is not None and usage.refunded_at is None  # received: charged once


async def test_a_restarted_bot_fits_a_video_to_the_limit_its_job_kept(
    harness: Harness, cdn: VendorCDN, tmp_path: Path
) -> None:
    guild = harness.world.guild
    guild.set_upload_limit(30 * MIB)  # this server's own number, only interactions say
    cdn.video = blob(tmp_path, 25)
    harness.simulator.enqueue(Scenario(step_delay=0.3))
    async with harness.bot():
        _, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")  # stopped while the video is being made
    async with harness.bot():  # a new process: it has seen no interaction in this server
        done = await harness.wait_title(progress, FINISHED, timeout=30)
    assert videos(done) == [25 * MIB]  # fitted to the job's 30 MiB, not the 20 MiB default


async def test_a_reply_takes_the_latest_limit_seen_in_the_server_else_the_tier_default(
    harness: Harness, cdn: VendorCDN, tmp_path: Path
) -> None:
    fake, world = harness.fake, harness.world
    world.guild.set_upload_limit(30 * MIB)
    cdn.video = blob(tmp_path, 1)
    async with harness.bot() as bot:
        thread, progress = await start(harness)
        first = await harness.wait_title(progress, FINISHED)
        await fake.say(world.member, thread, "now at night", reply_to=first)  # no interaction of its own
        remix = await harness.wait_title(await harness.progress_message(thread, index=1), FINISHED)
        assert (await job_of(bot, remix)).params.upload_limit == 30 * MIB  # the /video's, seen in this server
    async with harness.bot() as bot:  # restarted: nothing seen yet in this server
        await fake.say(world.member, thread, "now in the snow", reply_to=first)
        again = await harness.wait_title(await harness.progress_message(thread, index=2), FINISHED)
        assert (await job_of(bot, again)).params.upload_limit == 20 * MIB  # tier 0's default
