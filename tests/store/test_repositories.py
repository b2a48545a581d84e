"""Repositories round-trip every record type, and the turn tree yields the history path."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import GuildSettings, JobParams, JobStatus, Store
from tests.conftest import FakeClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STREAMED = "```json\n{\n  \"prompt\": \"cow\"\n}\n```\n\n> ID: `task_01k7`\n> Generation Complete ✅\n🐄\r\n"


async def test_conversation_and_turns_round_trip(store: Store) -> None:
    conversation = await store.conversations.create(
        guild_id=10, channel_id=20, thread_id=30, owner_id=40, model="sora-2"
    )
    assert await store.conversations.by_thread(30) == conversation
    assert conversation.created_at == NOW
    assert await store.conversations.by_thread(31) is None

    turn = await store.conversations.add_turn(
        conversation_id=conversation.id, parent_id=None, role="assistant", content=STREAMED,
        discord_message_id=50, author_id=60, task_id="task_01k7", sid="s_1",
        video_url="https://cdn.example/v.mp4", preview_url="https://cdn.example/p.webp",
    )
    again = await store.conversations.turn_by_message(50)
    assert again == turn
    assert again is not None and again.content == STREAMED  # byte for byte: it is sent back verbatim
    assert (again.task_id, again.sid, again.video_url, again.preview_url) == (
        "task_01k7", "s_1", "https://cdn.example/v.mp4", "https://cdn.example/p.webp",
    )


async def test_path_runs_from_the_first_prompt_to_the_chosen_turn_and_ignores_other_branches(store: Store) -> None:
    c = await store.conversations.create(guild_id=1, channel_id=2, thread_id=3, owner_id=4, model="sora-2")

    async def add(parent: int | None, role: str, content: str) -> int:
        turn = await store.conversations.add_turn(conversation_id=c.id, parent_id=parent, role=role, content=content)
        return turn.id

    first = await add(None, "user", "a cow")
    video1 = await add(first, "assistant", "video 1")
    night = await add(video1, "user", "at night")
    video2 = await add(night, "assistant", "video 2")
    halo = await add(video1, "user", "with a halo")  # a branch from the older video
    video3 = await add(halo, "assistant", "video 3")

    assert [t.content for t in await store.conversations.path(video2)] == ["a cow", "video 1", "at night", "video 2"]
    assert [t.content for t in await store.conversations.path(video3)] == ["a cow", "video 1", "with a halo", "video 3"]
    assert [t.content for t in await store.conversations.path(first)] == ["a cow"]


async def test_latest_video_is_the_newest_assistant_turn_with_a_video(store: Store) -> None:
    c = await store.conversations.create(guild_id=1, channel_id=2, thread_id=3, owner_id=4, model="sora-2")
    assert await store.conversations.latest_video_turn(c.id) is None
    prompt = await store.conversations.add_turn(conversation_id=c.id, parent_id=None, role="user", content="p")
    done = await store.conversations.add_turn(
        conversation_id=c.id, parent_id=prompt.id, role="assistant", content="v", video_url="https://x/v.mp4"
    )
    await store.conversations.add_turn(conversation_id=c.id, parent_id=done.id, role="user", content="again")
    latest = await store.conversations.latest_video_turn(c.id)
    assert latest is not None and latest.id == done.id
    assert await store.conversations.count_videos(c.id) == 1


async def test_job_lifecycle_round_trips(store: Store, clock: FakeClock) -> None:
    params = JobParams(prompt="a cow 🐄", orientation="landscape", duration=15, size="small", image_url=None)
    job = await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=params, cost=3)
    assert job.status is JobStatus.QUEUED and job.params == params and job.cost == 3 and job.attempts == 0

    await store.jobs.mark_running(job.id)
    await store.jobs.set_task_id(job.id, "task_abc")
    await store.jobs.set_progress(job.id, 61)
    c = await store.conversations.create(guild_id=1, channel_id=2, thread_id=3, owner_id=2, model="sora-2")
    turn = await store.conversations.add_turn(conversation_id=c.id, parent_id=None, role="user", content="a cow")
    await store.jobs.attach(job.id, conversation_id=c.id, request_turn_id=turn.id, channel_id=3, message_id=99)
    assert [j.id for j in await store.jobs.unfinished()] == [job.id]

    clock.advance(minutes=2)
    assert await store.jobs.finish(job.id, JobStatus.FAILED, error="The service declined.", error_kind="refused")
    assert not await store.jobs.finish(job.id, JobStatus.SUCCEEDED)  # the first ending wins

    done = await store.jobs.by_message(99)
    assert done is not None
    assert (done.status, done.task_id, done.progress, done.attempts) == (JobStatus.FAILED, "task_abc", 61, 1)
    assert (done.error, done.error_kind, done.conversation_id, done.request_turn_id) == (
        "The service declined.", "refused", c.id, turn.id,
    )
    assert done.finished_at is not None and done.started_at is not None
    assert (done.finished_at - done.started_at).total_seconds() == 120
    assert await store.jobs.unfinished() == []


async def test_quota_policies_and_costs_round_trip(store: Store) -> None:
    policy = await store.quotas.set_policy(
        guild_id=1, scope="role", target_id=7, period="week", max_units=10, max_concurrent=2, updated_by=9
    )
    assert (policy.scope, policy.target_id, policy.period, policy.max_units, policy.max_concurrent) == (
        "role", 7, "week", 10, 2,
    )
    replaced = await store.quotas.set_policy(
        guild_id=1, scope="role", target_id=7, period="day", max_units=3, max_concurrent=None, updated_by=9
    )
    assert replaced.id == policy.id and replaced.max_units == 3
    assert await store.quotas.policies(1) == [replaced]
    assert await store.quotas.clear_policy(1, "role", 7)
    assert not await store.quotas.clear_policy(1, "role", 7)

    assert await store.quotas.model_cost(1, "sora-2-pro") == 1
    await store.quotas.set_model_cost(1, "sora-2-pro", 4)
    assert await store.quotas.model_cost(1, "sora-2-pro") == 4


async def test_usage_refund_is_recorded_once(store: Store, clock: FakeClock) -> None:
    job = await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="p"), cost=2)
    since = clock.now
    granted = await store.quotas.reserve(guild_id=1, user_id=2, job_id=job.id, units=2, since=since, limit=5)
    assert granted.granted and granted.used == 2
    assert await store.quotas.used_since(1, 2, since) == 2

    assert await store.quotas.refund(job.id)
    assert not await store.quotas.refund(job.id)
    entry = await store.quotas.usage_for_job(job.id)
    assert entry is not None and entry.refunded_at is not None and entry.units == 2
    assert await store.quotas.used_since(1, 2, since) == 0


async def test_audit_log_round_trips(store: Store) -> None:
    entry = await store.audit.record(
        guild_id=1, actor_id=2, action="quota.set", details={"target": "role:7", "before": 5, "after": 10}
    )
    assert entry.details == {"target": "role:7", "before": 5, "after": 10}
    assert await store.audit.recent(1) == [entry]
    assert await store.audit.recent(2) == []


async def test_guild_settings_default_then_update(store: Store) -> None:
    assert await store.settings.get(5) == GuildSettings(guild_id=5)
    await store.settings.allow_channel(5, 100)
    updated = await store.settings.update(5, default_model="grok", plain_messages_remix=True, mod_log_channel_id=7)
    again = await store.settings.get(5)
    assert again == updated
    assert again.allowed_channel_ids == frozenset({100})
    assert (again.default_model, again.plain_messages_remix, again.moderators_exempt) == ("grok", True, True)
    assert await store.settings.disallow_channel(5, 100)
    assert (await store.settings.get(5)).allowed_channel_ids == frozenset()


async def test_failed_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    class Refused(Exception):
        pass

    try:
        async with store.transaction():
            await store.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams(prompt="p"), cost=1)
            raise Refused
    except Refused:
        pass
    assert await store.jobs.unfinished() == []
