"""Restarts and load: nothing lost when the bot stops mid-generation, no 429 under a crowd."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import Tuning
from bot.store import JobStatus
from bot.videoapi.simulator import Scenario
from fakediscord import BucketLimit, RateLimits
from tests.e2e.conftest import Harness, eventually

SLOW = Scenario(step_delay=0.25, progress_steps=(10, 20, 30, 40, 50, 60, 70, 80, 90))


async def test_restart_with_jobs_in_flight_finishes_them_in_their_own_messages(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    harness.simulator.set_default(SLOW)
    async with harness.bot(MAX_JOBS_PER_GUILD="2", MAX_JOBS_PER_USER="3") as first:
        progress = []
        for prompt in ("first", "second", "third"):  # the third waits behind the server's limit of two
            interaction = await harness.video(world.member, prompt)
            progress.append(await harness.progress_message(await harness.thread_for(interaction)))
        for message in progress[:2]:
            await harness.wait_title(message, "🎞️ Generating")
        await harness.wait_title(progress[2], "⏳ Queued — 1st in line")
        running = [await first.store.jobs.by_message(m.id) for m in progress]
        assert all(job is not None and job.status is not JobStatus.SUCCEEDED for job in running)
    chats_before = len(harness.chat_requests())
    assert chats_before == 2

    async with harness.bot(MAX_JOBS_PER_GUILD="2", MAX_JOBS_PER_USER="3") as second:
        done = [await harness.wait_title(m, "✅ Finished in", timeout=20) for m in progress]
        jobs = [await second.store.jobs.by_message(m.id) for m in progress]
    assert all(job is not None and job.status is JobStatus.SUCCEEDED for job in jobs)
    assert all(any(a.filename.endswith(".mp4") for a in m.attachments) for m in done)
    # The two that had started were finished by polling their tasks, never re-sent; the third started fresh.
    assert len(harness.chat_requests()) == chats_before + 1
    for message in done:  # still the one message per video: nothing new was posted for them
        assert sum(1 for m in harness.progress_messages(fake.channel(message.channel_id))) == 1


async def test_restart_before_the_service_gave_a_task_id_fails_cleanly_and_refunds(harness: Harness) -> None:
    world = harness.world
    # The bot stops while its request is in flight and no task ID has come back: it cannot know whether
    # the service started the video, so it must not send it again (that could bill twice).
    harness.simulator.enqueue(Scenario(http_status=503, http_error_times=99, retry_after=30))
    async with harness.bot() as first:
        interaction = await harness.video(world.member, "in flight")
        progress = await harness.progress_message(await harness.thread_for(interaction))
        await harness.wait_title(progress, "⏳ Waiting for the video service")
        await harness.fake.wait_until(lambda: harness.simulator.requests, message="the request to reach the service")
        job = await first.store.jobs.by_message(progress.id)
        assert job is not None
    posts = sum(r.method == "POST" for r in harness.simulator.requests)
    async with harness.bot() as second:
        failed = await harness.wait_title(progress, "❌ Couldn't make this video")
        assert sum(r.method == "POST" for r in harness.simulator.requests) == posts

        async def refunded() -> bool:
            entry = await second.store.quotas.usage_for_job(job.id)
            return entry is not None and entry.refunded_at is not None

        await eventually(refunded, message="the refund")
    assert "The bot restarted while the video service was starting this video." in failed.embed["description"]


@pytest.mark.fake_discord(rate_limits=RateLimits())  # Discord's observed limits, not the roomy test ones
async def test_thirty_concurrent_jobs_in_one_channel_draw_no_429(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    users = []
    for n in range(30):
        user = fake.create_user(f"member{n}")
        world.guild.add_member(user)
        users.append(user)
    harness.simulator.set_default(Scenario(step_delay=0.2))
    production_pacing = Tuning(poll_interval=0.05, api_backoff=0.01)  # one edit per message per second
    async with harness.bot(production_pacing, MAX_JOBS_GLOBAL="30", MAX_JOBS_PER_GUILD="30"):
        interactions = await asyncio.gather(*(harness.video(u, f"video number {n}") for n, u in enumerate(users)))
        threads = [await harness.thread_for(i) for i in interactions]
        progress = [await harness.progress_message(t) for t in threads]
        done = await asyncio.gather(*(harness.wait_title(m, "✅ Finished in", timeout=60) for m in progress))
    assert len(done) == 30 and len({m.channel_id for m in done}) == 30
    assert fake.rate_limit_hits == []  # also enforced by the fixture's teardown
    edits = [r for r in fake.requests if r.method == "PATCH" and "/messages/" in r.path]
    assert len(edits) >= 30 * 2  # every message lived (several states) and ended


async def test_a_thread_archived_mid_generation_is_reopened_for_the_video(harness: Harness) -> None:
    fake = harness.fake
    harness.simulator.enqueue(SLOW)
    expected = fake.expect_violation(50083)  # the bot learns of the archive the only way Discord tells it
    async with harness.bot():
        interaction = await harness.video(harness.world.member, "archived mid-way")
        thread = await harness.thread_for(interaction)
        progress = await harness.progress_message(thread)
        await harness.wait_title(progress, "🎞️ Generating")
        fake.archive_thread(thread)  # a moderator, or Discord's auto-archive
        done = await harness.wait_title(progress, "✅ Finished in")
    assert not fake.channel(thread.id).archived
    assert any(a.filename.endswith(".mp4") for a in done.attachments)
    assert expected.hits


COMMAND_SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


@pytest.mark.fake_discord(rate_limits=RateLimits(overrides={COMMAND_SYNC: BucketLimit(3, 60.0)}))
async def test_restarting_three_times_in_a_minute_syncs_the_commands_once(harness: Harness) -> None:
    # Command syncs have a small rate limit of their own: a bot that synced at every start would use up
    # the bucket on its third start here and be held up for a minute.
    for _ in range(3):
        async with harness.bot():
            pass
    syncs = [r for r in harness.fake.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(syncs) == 1
    async with harness.bot(VIDEO_MODELS="sora-2"):  # the offered models changed: /video's choices did too
        pass
    assert len([r for r in harness.fake.requests if r.method == "PUT" and "/commands" in r.path]) == 2
