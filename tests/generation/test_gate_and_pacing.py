"""The checks every button and form goes through (bot.generation.gate) and Refresh link's pacing
(bot.generation.pacing), on real job rows."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.errors import BotError
from bot.generation.gate import ELSEWHERE, UNRECOGNISED, JobReference, Origin, check_interaction
from bot.generation.pacing import RefreshPacer
from bot.store import Job, JobParams, Store
from tests.conftest import FakeClock

GUILD, OTHER_GUILD, HOME, THREAD, MESSAGE = 1, 2, 100, 200, 300


async def placed_job(store: Store) -> Job:
    job = await store.jobs.create(guild_id=GUILD, user_id=10, model="sora-2", params=JobParams("a cow"), cost=1)
    await store.jobs.set_post(job.id, HOME, 150)
    await store.jobs.move_message(job.id, THREAD, MESSAGE)  # where its progress message is
    return await store.jobs.get(job.id)


def refused(job: Job, reference: JobReference, origin: Origin) -> str | None:
    try:
        check_interaction(job, reference, origin)
    except BotError as error:
        return error.user_message
    return None


async def test_keys_are_random_and_required(store: Store) -> None:
    job, other = await placed_job(store), await placed_job(store)
    assert job.button_key and other.button_key and job.button_key != other.button_key
    assert len(job.button_key) >= 16  # 96 random bits
    here = Origin(GUILD, THREAD, MESSAGE)
    assert refused(job, JobReference(job.id, job.button_key), here) is None
    for key in (None, other.button_key, job.button_key[:-1], job.button_key + "x"):
        assert refused(job, JobReference(job.id, key), here) == UNRECOGNISED
    legacy = dataclasses.replace(job, button_key=None)  # a job made before keys: only the old custom ID names it
    assert refused(legacy, JobReference(job.id, None), here) is None
    assert refused(legacy, JobReference(job.id, "made-up"), here) == UNRECOGNISED


@pytest.mark.parametrize(
    "origin",
    [
        Origin(OTHER_GUILD, THREAD, MESSAGE),  # another server (whatever channel it claims)
        Origin(None, THREAD, MESSAGE),  # a direct message
        Origin(GUILD, 999, None),  # another channel of the server (a form has no message)
        Origin(GUILD, THREAD, 301),  # another message in the same thread
        Origin(GUILD, HOME, 151),  # a message beside the post, while the video's message is in its thread
        Origin(GUILD, HOME, None),  # a form from beside the post
    ],
)
async def test_an_interaction_from_anywhere_but_the_jobs_message_is_refused(store: Store, origin: Origin) -> None:
    job = await placed_job(store)
    legacy = dataclasses.replace(job, button_key=None)
    assert refused(job, JobReference(job.id, job.button_key), origin) == ELSEWHERE
    assert refused(legacy, JobReference(job.id, None), origin) == ELSEWHERE  # the real protection for old buttons


async def test_a_final_state_shown_in_a_new_message_is_answered_there(store: Store) -> None:
    job = await placed_job(store)
    reference = JobReference(job.id, job.button_key)
    in_thread = dataclasses.replace(job, delivered_to="thread")  # the progress message was gone
    assert refused(in_thread, reference, Origin(GUILD, THREAD, 301)) is None
    beside_post = dataclasses.replace(job, delivered_to="channel")  # the thread was gone: a reply to the post
    assert refused(beside_post, reference, Origin(GUILD, HOME, 151)) is None
    assert refused(beside_post, reference, Origin(OTHER_GUILD, HOME, 151)) == ELSEWHERE
    never_shown = dataclasses.replace(job, message_id=None)  # a start that stopped before its progress message
    assert refused(never_shown, reference, Origin(GUILD, HOME, 151)) == ELSEWHERE
    shown_beside = dataclasses.replace(never_shown, delivered_to="channel")
    assert refused(shown_beside, reference, Origin(GUILD, HOME, 151)) is None


async def test_refresh_is_paced_per_video_and_per_member(store: Store, clock: FakeClock) -> None:
    pacer = RefreshPacer(store)
    one, two = await placed_job(store), await placed_job(store)
    assert await pacer.claim(one.id, 10) is None
    again = await pacer.claim(one.id, 11)  # another member, the same video: the last result
    assert again == clock.now.replace(microsecond=0) + pacer._per_video
    assert await pacer.claim(two.id, 10) is not None  # the same member, another video: too soon
    assert await pacer.claim(two.id, 11) is None
    clock.advance(seconds=21)
    assert await pacer.claim(two.id, 10) is not None  # that video was asked about 21 s ago
    third = await placed_job(store)
    assert await pacer.claim(third.id, 10) is None  # the member's 20 s are over
    clock.advance(seconds=40)
    assert await pacer.claim(one.id, 12) is None  # a minute after its last ask, the video may be asked again
    assert (await store.jobs.get(one.id)).link_checked_at == clock.now.replace(microsecond=0)


async def test_the_members_remembered_are_bounded(store: Store, clock: FakeClock) -> None:
    pacer = RefreshPacer(store, members_kept=3)
    for member in range(10):
        assert await pacer.claim((await placed_job(store)).id, member) is None
    assert list(pacer._members) == [7, 8, 9]
