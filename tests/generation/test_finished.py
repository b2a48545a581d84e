"""Refresh link and Delete without Discord: the rules on a real database, against the simulator (which,
like the vendor, knows a chat-made task by its Raw Data page)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.core.config import Settings
from bot.core.errors import BotError
from bot.generation.finished import DELETED, NOT_ANSWERING, ONLY_OWNER_DELETES, FinishedVideos
from bot.generation.service import DELETED_NO_REMIX, NOTHING_TO_REMIX, VideoOptions, VideoService
from bot.store import Job, Shown, Store
from bot.videoapi import VideoAPI
from bot.videoapi.simulator import Simulator
from tests.generation.test_service import CHANNEL, GUILD, MAYA, MOD, SAM, ended, first_video, launch, pressed

STALE = "https://cdn.example.com/v.mp4?Expires=1700000000&Signature=abc"


@pytest.fixture
async def finished(store: Store, settings: Settings) -> AsyncIterator[FinishedVideos]:
    async with aiohttp.ClientSession() as session:
        api = VideoAPI(settings.video_api_base_url, settings.video_api_key.reveal(), session, backoff=0.01,
                       trusted_media_origins=settings.trusted_media_origins)
        yield FinishedVideos(store, api, settings.provider)


async def turn_of(store: Store, job: Job):
    assert job.result_turn_id is not None
    return await store.conversations.turn(job.result_turn_id)


async def test_refresh_link_asks_where_the_task_is_found_and_keeps_the_fresh_link(
    videos: VideoService, store: Store, simulator: Simulator, finished: FinishedVideos
) -> None:
    job = await first_video(videos, store)
    turn = await turn_of(store, job)
    fresh = turn.video_url
    await store.conversations.set_video_link(turn.id, STALE, None)  # what an expired signed link looks like
    await store.jobs.record_shown(job.id, Shown(too_large_limit=10 * 1024 * 1024, fit_failed=True,
                                                service_note="you asked for landscape; the service made portrait"))
    asked = len(simulator.requests)

    refreshed = await finished.refresh_link(*await pressed(store, job), MAYA.user_id)

    assert refreshed.renewed
    # A chat-made task: the vendor's task endpoints don't know it, its Raw Data page does.
    assert [r.path for r in simulator.requests[asked:]] == [f"/source/{turn.task_id}"]
    assert (await turn_of(store, job)).video_url == fresh
    state = refreshed.state
    assert state.video_url == fresh and not state.link_gone
    assert (state.too_large_limit, state.fit_failed) == (10 * 1024 * 1024, True)  # shown again exactly
    assert state.service_note == "you asked for landscape; the service made portrait"


async def test_when_the_vendor_no_longer_has_the_video_the_message_says_so(
    videos: VideoService, store: Store, simulator: Simulator, finished: FinishedVideos
) -> None:
    job = await first_video(videos, store)
    simulator.tasks.clear()  # the vendor let it go: its Raw Data page and task endpoints answer 404

    refreshed = await finished.refresh_link(*await pressed(store, job), MAYA.user_id)

    assert not refreshed.renewed and refreshed.state.link_gone
    assert (await store.jobs.get(job.id)).shown.link_gone  # after a restart too


async def test_a_service_that_does_not_answer_is_said_so_and_changes_nothing(
    videos: VideoService, store: Store, simulator: Simulator, finished: FinishedVideos
) -> None:
    job = await first_video(videos, store)
    before = await turn_of(store, job)
    await simulator.close()
    with pytest.raises(BotError) as refused:
        await finished.refresh_link(*await pressed(store, job), MAYA.user_id)
    assert refused.value.user_message == NOT_ANSWERING
    assert await turn_of(store, job) == before and not (await store.jobs.get(job.id)).shown.link_gone


async def test_only_the_requester_or_a_moderator_may_delete(
    videos: VideoService, store: Store, finished: FinishedVideos
) -> None:
    mine, theirs = await first_video(videos, store), await first_video(videos, store)
    with pytest.raises(BotError) as refused:
        await finished.delete(*await pressed(store, mine), SAM)
    assert refused.value.user_message == ONLY_OWNER_DELETES
    assert not (await turn_of(store, mine)).deleted

    by_owner = await finished.delete(*await pressed(store, mine), MAYA)
    by_moderator = await finished.delete(*await pressed(store, theirs), MOD)

    assert by_owner.deleted_by == MAYA.user_id and by_moderator.deleted_by == MOD.user_id
    assert (await turn_of(store, mine)).deleted_by == MAYA.user_id
    entries = await store.audit.recent(GUILD)
    assert [(e.action, e.actor_id, e.details["target"]["job"]) for e in entries] == [
        ("video.delete", MOD.user_id, theirs.id), ("video.delete", MAYA.user_id, mine.id),
    ]


async def test_a_video_is_deleted_once(videos: VideoService, store: Store, finished: FinishedVideos) -> None:
    job = await first_video(videos, store)
    await finished.delete(*await pressed(store, job), MAYA)
    here = await pressed(store, job)
    for attempt in (finished.delete(*here, MOD), finished.refresh_link(*here, MAYA.user_id)):
        with pytest.raises(BotError) as refused:
            await attempt
        assert refused.value.user_message == DELETED
    assert len(await store.audit.recent(GUILD)) == 1


async def test_a_deleted_video_can_no_longer_be_remixed(
    videos: VideoService, store: Store, finished: FinishedVideos
) -> None:
    first = await first_video(videos, store)
    assert first.channel_id is not None and first.message_id is not None
    await finished.delete(*await pressed(store, first), MAYA)

    for refusal in (
        videos.check_remixable(*await pressed(store, first)),  # the Remix button
        videos.plan_remix_of_job(*await pressed(store, first), "at night"),  # a Remix form opened before
        videos.plan_remix(first.channel_id, "at night", video_message_id=first.message_id),  # a reply to it
    ):
        with pytest.raises(BotError) as refused:
            await refusal
        assert refused.value.user_message == DELETED_NO_REMIX
    with pytest.raises(BotError) as refused:  # a plain message in the thread: there is nothing else to remix
        await videos.plan_remix(first.channel_id, "at night")
    assert refused.value.user_message == NOTHING_TO_REMIX


async def test_plain_remixes_continue_from_the_latest_video_not_deleted(
    videos: VideoService, store: Store, finished: FinishedVideos
) -> None:
    first = await first_video(videos, store)
    assert first.channel_id is not None
    plan = await videos.plan_video(GUILD, VideoOptions("now at night"), channel_id=CHANNEL, thread_id=first.channel_id)
    second = await ended(store, await launch(videos, plan, MAYA))
    await finished.delete(*await pressed(store, second), MAYA)

    remix = await videos.plan_remix(first.channel_id, "in the rain")

    assert remix.parent is not None and remix.parent.id == first.result_turn_id


async def test_nothing_to_refresh_or_delete_before_the_video_is_finished(
    videos: VideoService, store: Store, finished: FinishedVideos
) -> None:
    job = (await videos.admit(await videos.plan_video(GUILD, VideoOptions("a cow"), channel_id=CHANNEL), MAYA)).job
    here = await pressed(store, job)
    for attempt in (finished.refresh_link(*here, MAYA.user_id), finished.delete(*here, MAYA)):
        with pytest.raises(BotError):
            await attempt
