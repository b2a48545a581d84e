"""Every job ends where its member can see it, and is charged only for a video they received.

Each test takes something away at the last moment, the way a moderator, Discord or a restart would, and
checks where the member ends up reading the outcome, and what the ledger charged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
from aiohttp import ClientSession, web

from bot.store import JobStatus
from bot.videoapi.simulator import Scenario, Simulator
from tests.e2e.conftest import Harness, eventually, job_of, public_post, start
from tests.local_server import serving

SLOW = Scenario(step_delay=0.2, progress_steps=(10, 20, 30, 40, 50, 60, 70, 80, 90))


class SlowCDN:
    """Serves the simulator's media from another origin, behind a long signed-looking path, as slowly as a
    test wants: what vendors' CDNs do."""

    def __init__(self, *, path_padding: int = 0) -> None:
        self.simulator: Simulator | None = None
        self.padding = "sig=" + "a" * max(0, path_padding - 4) if path_padding else ""
        self.delay = 0.0
        self.requests = 0
        self.app = web.Application()
        self.app.router.add_get("/{tail:.*}", self._serve)

    def media_base(self, base_url: str) -> str:
        """Where the simulator's media links point: this server, behind the padding."""
        return base_url + (f"/{self.padding}" if self.padding else "")

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        await asyncio.sleep(self.delay)
        name = request.match_info["tail"].rsplit("/", 1)[-1]
        assert self.simulator is not None
        async with ClientSession() as session, session.get(f"{self.simulator.base_url}/media/{name}") as upstream:
            return web.Response(body=await upstream.read(), status=upstream.status,
                                content_type=upstream.content_type)


@pytest.fixture
async def cdn_and_simulator(request: pytest.FixtureRequest) -> AsyncIterator[tuple[SlowCDN, Simulator]]:
    marker = request.node.get_closest_marker("cdn")
    cdn = SlowCDN(**(marker.kwargs if marker else {}))
    async with serving(cdn.app) as base_url:
        sim = Simulator(Scenario(step_delay=0.01), media_base_url=cdn.media_base(base_url))
        cdn.simulator = sim
        await sim.start()
        yield cdn, sim
        await sim.close()


@pytest.fixture
def simulator(cdn_and_simulator: tuple[SlowCDN, Simulator]) -> Simulator:
    return cdn_and_simulator[1]


@pytest.fixture
def cdn(cdn_and_simulator: tuple[SlowCDN, Simulator]) -> SlowCDN:
    return cdn_and_simulator[0]


def charged(entry) -> bool:
    return entry is not None and entry.refunded_at is None


async def test_progress_message_deleted_mid_job_the_video_arrives_in_a_new_message(harness: Harness) -> None:
    fake = harness.fake
    harness.simulator.enqueue(SLOW)
    expected = fake.expect_violation(10008)  # Unknown Message: how Discord tells the bot it was deleted
    async with harness.bot() as bot:
        thread, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")
        job = await job_of(bot, progress)
        fake.delete_message(progress)  # a moderator tidies the thread
        video = await fake.wait_for_message(
            thread, lambda m: m.id != progress.id and (m.embed or {}).get("title", "").startswith("✅ Finished"),
            timeout=10, message="the video in a new message",
        )
        await eventually(lambda: _ended(bot, job.id), message="the job to end")
        ended = await bot.store.jobs.get(job.id)
        assert (ended.status, ended.delivered_to, ended.message_id) == (JobStatus.SUCCEEDED, "thread", video.id)
        assert charged(await bot.store.quotas.usage_for_job(job.id))
        # A reply to the new message remixes this video: replies follow the video to its new message.
        turn = await bot.store.conversations.turn_by_message(video.id)
        assert turn is not None and turn.id == ended.result_turn_id
    assert any(a.filename.endswith(".mp4") for a in video.attachments)
    dead = [r for r in fake.requests if r.method == "PATCH" and r.path.endswith(f"/messages/{progress.id}")]
    refused = [r for r in dead if r.status == 404]
    assert len(refused) == 1 and expected.hits  # learnt once that it was gone; never asked again


async def test_thread_deleted_mid_job_the_video_arrives_beside_the_starter_post(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    harness.simulator.enqueue(SLOW)
    expected = fake.expect_violation(10003)  # Unknown Channel
    async with harness.bot() as bot:
        interaction = await harness.video(world.member, "a thread that will be deleted")
        starter = await public_post(interaction)
        thread = await harness.thread_for(interaction)
        progress = await harness.progress_message(thread)
        await harness.wait_title(progress, "🎞️ Generating")
        job = await job_of(bot, progress)
        fake.delete_thread(thread)
        video = await fake.wait_for_message(
            world.channel, lambda m: m.reply_to == starter.id, timeout=10, message="the video beside the post"
        )
        await eventually(lambda: _ended(bot, job.id), message="the job to end")
        ended = await bot.store.jobs.get(job.id)
    assert (ended.status, ended.delivered_to) == (JobStatus.SUCCEEDED, "channel") and expected.hits
    assert video.embed["title"].startswith("✅ Finished")
    assert any(a.filename.endswith(".mp4") for a in video.attachments) and video.mentions_suppressed


async def test_archived_and_locked_thread_the_video_goes_beside_the_post_without_hammering(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    harness.simulator.enqueue(SLOW)
    expected = fake.expect_violation(50083)  # Discord answers every write to the locked thread this way
    async with harness.bot() as bot:
        interaction = await harness.video(world.member, "a thread that will be locked")
        starter = await public_post(interaction)
        thread = await harness.thread_for(interaction)
        progress = await harness.progress_message(thread)
        await harness.wait_title(progress, "🎞️ Generating")
        job = await job_of(bot, progress)
        fake.archive_thread(thread, locked=True)  # a moderator without giving the bot Manage Threads
        video = await fake.wait_for_message(
            world.channel, lambda m: m.reply_to == starter.id, timeout=10, message="the video beside the post"
        )
        await eventually(lambda: _ended(bot, job.id), message="the job to end")
        ended = await bot.store.jobs.get(job.id)
        assert charged(await bot.store.quotas.usage_for_job(job.id))
    assert (ended.status, ended.delivered_to) == (JobStatus.SUCCEEDED, "channel")
    assert expected.hits
    into_thread = [r for r in fake.requests if f"/channels/{thread.id}" in r.path and r.status >= 400]
    assert len(into_thread) <= 3  # one progress edit learns it, one final edit, one reopen: then never again
    assert video.embed["title"].startswith("✅ Finished")


async def test_attach_files_removed_mid_job_the_video_is_linked_in_place(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    harness.simulator.enqueue(SLOW)
    expected = fake.expect_violation(50013)  # Missing Permissions, for the files only
    async with harness.bot() as bot:
        _, progress = await start(harness)
        await harness.wait_title(progress, "🎞️ Generating")
        world.guild.set_overwrite(world.channel, fake.bot_user, deny=discord.Permissions(attach_files=True))
        done = await harness.wait_title(progress, "✅ Finished in")
        job = await job_of(bot, progress)
        await eventually(lambda: _ended(bot, job.id), message="the job to end")
        assert charged(await bot.store.quotas.usage_for_job(job.id))
    assert done.attachments == []
    assert "Open the video from the link." in done.embed["description"]
    assert done.button("Open")["url"].endswith(".mp4")
    with_files = [r for r in fake.requests if r.method == "PATCH" and r.path.endswith(f"/messages/{progress.id}")
                  and r.status == 403]
    assert len(with_files) == 1 and expected.hits  # the files were refused once; the link went through at once


@pytest.mark.cdn(path_padding=600)
async def test_a_vendor_link_too_long_for_a_button_is_offered_in_the_description(harness: Harness) -> None:
    harness.world.guild.premium_tier = 0
    harness.simulator.enqueue(Scenario(step_delay=0.01, video_bytes=21 * 1024 * 1024))  # too big to attach
    async with harness.bot():
        _, progress = await start(harness)
        done = await harness.wait_title(progress, "✅ Finished in")
    assert [b["label"] for b in done.buttons()] == ["Remix", "Re-roll", "Refresh link", "Delete"]
    assert "[▶️ Open the video](http://127.0.0.1:" in done.embed["description"]
    assert "larger than this server's upload limit" in done.embed["description"]


async def test_cancel_after_the_video_is_made_is_too_late_and_the_video_arrives(
    harness: Harness, cdn: SlowCDN
) -> None:
    fake, world = harness.fake, harness.world
    cdn.delay = 1.0  # the download of the finished video takes a while
    async with harness.bot() as bot:
        _, progress = await start(harness)
        await fake.wait_until(lambda: cdn.requests > 0, timeout=10, message="the download to start")
        click = await fake.click(world.member, progress, "Cancel")
        answer = await harness.private_answer(click)
        assert answer == "Too late to cancel: the video is finished and on its way to this thread."
        done = await harness.wait_title(progress, "✅ Finished in")
        job = await job_of(bot, progress)
        await eventually(lambda: _ended(bot, job.id), message="the job to end")
        ended = await bot.store.jobs.get(job.id)
    assert ended.status is JobStatus.SUCCEEDED and ended.cancel_requested_by is None
    assert any(a.filename.endswith(".mp4") for a in done.attachments)


async def test_a_cancel_just_before_a_restart_holds_after_it(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    harness.simulator.set_default(SLOW)
    async with harness.bot(MAX_JOBS_PER_GUILD="1", MAX_JOBS_PER_USER="3") as first:
        _, running = await start(harness, "running one")
        _, queued = await start(harness, "queued one")
        await harness.wait_title(running, "🎞️ Generating")
        await harness.wait_title(queued, "⏳ Queued — 1st in line")
        jobs = [await job_of(first, m) for m in (running, queued)]
        for message in (running, queued):
            await (await fake.click(world.member, message, "Cancel")).wait_response()
        await eventually(lambda: _intent(first, jobs[0].id), message="the cancel to be recorded")
        await eventually(lambda: _intent(first, jobs[1].id), message="the cancel to be recorded")
    chats = len(harness.chat_requests())
    async with harness.bot(MAX_JOBS_PER_GUILD="1", MAX_JOBS_PER_USER="3") as second:
        for message in (running, queued):
            await harness.wait_title(message, "⏹️ Cancelled")
        for job in jobs:
            await eventually(lambda job=job: _ended(second, job.id), message="the jobs to end")
            ended = await second.store.jobs.get(job.id)
            assert ended.status is JobStatus.CANCELLED
            assert not charged(await second.store.quotas.usage_for_job(job.id))
        await asyncio.sleep(0.3)
    assert len(harness.chat_requests()) == chats  # nothing was generated again after the restart


async def test_a_server_allowing_more_videos_per_member_than_the_bot_default_runs_them_all(
    harness: Harness,
) -> None:
    harness.simulator.set_default(SLOW)
    async with harness.bot(MAX_JOBS_PER_USER="1", MAX_JOBS_PER_GUILD="5") as bot:
        await bot.store.settings.update(harness.world.guild.id, max_jobs_per_user=3)
        messages = [(await start(harness, f"video {n}"))[1] for n in range(3)]
        for message in messages:  # all three generate at once: admission allowed them, the line agrees
            await harness.wait_title(message, "🎞️ Generating")


async def test_a_remix_request_of_a_thousand_asterisks_is_posted_within_discords_limit(harness: Harness) -> None:
    async with harness.bot():
        thread, progress = await start(harness)
        await harness.wait_title(progress, "✅ Finished in")
        click = await harness.open_remix_modal(harness.world.member, progress)
        await harness.submit_remix(harness.world.member, click, "*" * 1000)
        remix = await harness.progress_message(thread, index=1)
        await harness.wait_title(remix, "✅ Finished in")
    request_line = harness.fake.message(remix.reply_to)
    assert len(request_line.content) <= 2000 and request_line.content.endswith("…")


async def test_an_image_on_a_reply_to_a_model_that_cannot_take_one_is_refused_with_a_sentence(
    harness: Harness, tmp_path: Path
) -> None:
    fake, world = harness.fake, harness.world
    png = fake.attachment("cow.png", b"\x89PNG....", content_type="image/png")
    profile = tmp_path / "no-pictures-for-grok.toml"  # an operator's profile: their grok takes no pictures
    profile.write_text('extends = "kkiai"\n\n[[models]]\nname = "grok"\nimage = "none"\n')
    async with harness.bot(DISCORD_MESSAGE_CONTENT_INTENT="true", VIDEO_PROVIDER=str(profile)):
        thread, progress = await start(harness, model="grok")
        await harness.wait_title(progress, "✅ Finished in")
        await fake.say(world.member, thread, "now in colour", reply_to=progress, attachments=[png])
        answer = await fake.wait_for_message(thread, lambda m: m.author.id == fake.bot_user.id and not m.embeds)
    assert answer.content.startswith("grok can't start from an image")
    assert sum(r.path == "/v1/video/create" for r in harness.simulator.requests) == 1  # the remix never went


async def _ended(bot, job_id: int) -> bool:
    return (await bot.store.jobs.get(job_id)).status.finished


async def _intent(bot, job_id: int) -> bool:
    return (await bot.store.jobs.get(job_id)).cancel_requested_by is not None
