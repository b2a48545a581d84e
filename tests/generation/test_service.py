"""VideoService without Discord: every rule of starting, re-rolling, remixing and cancelling a video, on a
real database and the simulator. The Discord side is played by hand: made-up message and thread IDs."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from pathlib import Path

import pytest

from bot.core.catalog import load_profile
from bot.core.config import Settings
from bot.core.errors import BotError
from bot.generation.gate import JobReference, Origin
from bot.generation.requests import ImageInput
from bot.generation.runner import JobRunner
from bot.generation.service import VideoOptions, VideoPlan, VideoService
from bot.quotas.admission import QuotaService
from bot.quotas.policy import Member
from bot.store import Job, JobStatus, Store
from bot.videoapi.simulator import Scenario, Simulator
from tests.generation.conftest import RecordingPresenter

GUILD, CHANNEL = 1, 100
MAYA = Member(user_id=10, role_ids=frozenset(), is_moderator=False)
SAM = Member(user_id=12, role_ids=frozenset(), is_moderator=False)
MOD = Member(user_id=11, role_ids=frozenset(), is_moderator=True)
PICTURE = ImageInput("https://cdn.example/cow.png", "cow.png", "image/png", 1024)
_ids = itertools.count(10_000)


async def launch(videos: VideoService, plan: VideoPlan, member: Member, *, thread_id: int | None = None) -> Job:
    """What the Discord side does between admission and the runner: post, open a thread, post progress."""
    job = (await videos.admit(plan, member)).job
    thread = thread_id or (plan.conversation.thread_id if plan.conversation else next(_ids))
    await videos.launch(plan, job, home_channel_id=CHANNEL, thread_id=thread, author_id=member.user_id,
                        anchor_message_id=next(_ids), progress_message_id=next(_ids))
    return job


async def pressed(store: Store, job: Job) -> tuple[JobReference, Origin]:
    """What the Discord side passes for a press of one of `job`'s buttons under its message: the job as its
    custom ID names it, and where the press came from."""
    job = await store.jobs.get(job.id)
    return JobReference(job.id, job.button_key), Origin(job.guild_id, job.channel_id, job.message_id)


async def ended(store: Store, job: Job) -> Job:
    for _ in range(500):
        current = await store.jobs.get(job.id)
        if current.status.finished:
            return current
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {job.id} did not end")


async def first_video(videos: VideoService, store: Store, **options: object) -> Job:
    plan = await videos.plan_video(GUILD, VideoOptions("a cow with wings", **options), channel_id=CHANNEL)  # type: ignore[arg-type]
    return await ended(store, await launch(videos, plan, MAYA))


async def test_a_video_opens_a_conversation_and_finishes_with_its_turn_recorded(
    videos: VideoService, store: Store, presenter: RecordingPresenter
) -> None:
    job = await first_video(videos, store, orientation="landscape")
    assert job.status is JobStatus.SUCCEEDED and job.result_turn_id is not None
    assert job.conversation_id is not None
    conversation = await store.conversations.get(job.conversation_id)
    assert conversation.owner_id == MAYA.user_id and conversation.model == "sora-2"
    path = await store.conversations.path(job.result_turn_id)
    assert [t.role for t in path] == ["user", "assistant"] and path[0].content == "a cow with wings"
    assert presenter.concluded[job.id].video_url is not None


async def test_the_server_default_model_falls_back_when_the_bot_no_longer_offers_it(
    videos: VideoService, store: Store
) -> None:
    await store.settings.update(GUILD, default_model="veo3.1-fast")
    plan = await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL)
    assert plan.model == "veo3.1-fast" and plan.params.duration == 8
    await store.settings.update(GUILD, default_model="sora-2-pro")  # not in VIDEO_MODELS
    assert (await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL)).model == "sora-2"


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        (VideoOptions("   "), "Your prompt is empty"),
        (VideoOptions("\u200b\u200d\ufeff"), "Your prompt is empty"),
        (VideoOptions("a cow", duration=7), "sora-2 can't make 7-second videos"),
    ],
)
async def test_what_cannot_be_made_is_refused_before_anything_is_spent(
    videos: VideoService, store: Store, options: VideoOptions, refusal: str
) -> None:
    with pytest.raises(BotError, match=refusal):
        await videos.plan_video(GUILD, options, channel_id=CHANNEL)
    assert await store.jobs.latest_id() == 0


async def test_videos_only_where_moderators_allow_them(videos: VideoService, store: Store) -> None:
    await store.settings.allow_channel(GUILD, 555)
    with pytest.raises(BotError, match="can't be made in this channel"):
        await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL)
    assert (await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=555)).opens_thread


async def test_video_inside_a_bot_thread_continues_its_latest_video(videos: VideoService, store: Store) -> None:
    first = await first_video(videos, store)
    conversation = await store.conversations.get(first.conversation_id or 0)
    plan = await videos.plan_video(GUILD, VideoOptions("now at night"), channel_id=CHANNEL,
                                   thread_id=conversation.thread_id)
    assert not plan.opens_thread and plan.parent is not None and plan.parent.id == first.result_turn_id
    assert plan.remix_number == 1
    with pytest.raises(BotError, match="inside one of my video threads"):
        await videos.plan_video(GUILD, VideoOptions("x"), channel_id=CHANNEL, thread_id=424242)


async def test_a_remix_keeps_the_model_and_options_of_the_video_it_continues(
    videos: VideoService, store: Store
) -> None:
    first = await first_video(videos, store, model="veo3.1-fast", orientation="landscape")
    plan = await videos.plan_remix_of_job(*await pressed(store, first), "now in the rain")
    assert (plan.model, plan.params.orientation, plan.params.duration) == ("veo3.1-fast", "landscape", 8)
    assert plan.params.prompt == "now in the rain" and plan.remix_number == 1
    remix = await ended(store, await launch(videos, plan, SAM))
    assert remix.status is JobStatus.SUCCEEDED and remix.remix_number == 1
    path = await store.conversations.path(remix.result_turn_id or 0)
    assert [t.content for t in path if t.role == "user"] == ["a cow with wings", "now in the rain"]


@pytest.fixture
def picky_videos(
    tmp_path: Path, settings: Settings, store: Store, quotas: QuotaService, runner: JobRunner
) -> VideoService:
    """The service under an operator's profile whose grok takes no pictures."""
    profile = tmp_path / "no-pictures-for-grok.toml"
    profile.write_text('extends = "kkiai"\n\n[[models]]\nname = "grok"\nimage = "none"\n')
    return VideoService(store, quotas, runner, dataclasses.replace(settings, provider=load_profile(str(profile))))


async def test_an_image_must_suit_the_model(picky_videos: VideoService, store: Store) -> None:
    with pytest.raises(BotError, match="grok can't start from an image"):
        await picky_videos.plan_video(GUILD, VideoOptions("a cow", model="grok", image=PICTURE), channel_id=CHANNEL)
    first = await first_video(picky_videos, store, model="grok")
    videos = picky_videos
    thread = (await store.conversations.get(first.conversation_id or 0)).thread_id
    with pytest.raises(BotError, match="grok can't start from an image"):
        await videos.plan_remix(thread, "now in colour", image=PICTURE)
    with pytest.raises(BotError, match="isn't an image"):
        await videos.plan_remix(thread, "now in colour", image=ImageInput("https://x/a.gif", "a.gif", "image/gif", 9))


async def test_remix_refuses_videos_that_did_not_finish(
    videos: VideoService, store: Store, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(outcome="failure"))
    failed = await first_video(videos, store)
    assert failed.status is JobStatus.FAILED
    thread = (await store.conversations.get(failed.conversation_id or 0)).thread_id
    with pytest.raises(BotError, match="didn't finish, so there is nothing to remix"):
        await videos.plan_remix(thread, "again", video_message_id=failed.message_id)
    with pytest.raises(BotError, match="no finished video in this thread"):
        await videos.plan_remix(thread, "again")
    with pytest.raises(BotError, match="hasn't finished, so there is nothing to remix"):
        await videos.check_remixable(*await pressed(store, failed))


async def test_reroll_needs_a_video_and_retry_needs_a_failure(
    videos: VideoService, store: Store, simulator: Simulator
) -> None:
    made = await first_video(videos, store)
    with pytest.raises(BotError, match="didn't fail, so there is nothing to retry"):
        await videos.plan_repeat(*await pressed(store, made), "retry")
    reroll = await videos.plan_repeat(*await pressed(store, made), "reroll")
    assert reroll.request is not None and reroll.request.id == made.request_turn_id
    assert (reroll.model, reroll.params) == (made.model, made.params)

    simulator.enqueue(Scenario(outcome="failure"))
    failed = await first_video(videos, store)
    with pytest.raises(BotError, match="hasn't finished"):
        await videos.plan_repeat(*await pressed(store, failed), "reroll")
    again = await videos.plan_repeat(*await pressed(store, failed), "retry")
    retry = await ended(store, await launch(videos, again, MAYA))
    assert retry.status is JobStatus.SUCCEEDED and retry.request_turn_id == failed.request_turn_id


async def test_only_the_requester_or_a_moderator_may_cancel(
    videos: VideoService, store: Store, simulator: Simulator, presenter: RecordingPresenter
) -> None:
    simulator.enqueue(Scenario(step_delay=0.2))
    plan = await videos.plan_video(GUILD, VideoOptions("a slow cow"), channel_id=CHANNEL)
    job = await launch(videos, plan, MAYA)
    with pytest.raises(BotError, match="Only the person who asked for this video or a moderator"):
        await videos.cancel(*await pressed(store, job), SAM)
    await videos.cancel(*await pressed(store, job), MOD)
    done = await ended(store, job)
    assert (done.status, done.cancelled_by) == (JobStatus.CANCELLED, MOD.user_id)
    assert (await store.quotas.usage_for_job(job.id)).refunded_at is not None  # type: ignore[union-attr]
    with pytest.raises(BotError, match="already ended"):
        await videos.cancel(*await pressed(store, job), MAYA)


async def test_a_start_that_discord_refused_gives_the_units_back(videos: VideoService, store: Store) -> None:
    plan = await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL)
    job = (await videos.admit(plan, MAYA)).job
    await videos.abandon(job, "Discord refused a step of starting this video.")
    assert (await store.jobs.get(job.id)).status is JobStatus.FAILED
    assert (await store.quotas.usage_for_job(job.id)).refunded_at is not None  # type: ignore[union-attr]
