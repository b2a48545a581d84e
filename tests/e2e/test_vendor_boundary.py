"""Issue 21, the vendor boundary end to end: the task's status decides a job's end, refusals are told and
billed by their code, /video offers only what the profile says is honoured, and recovery speaks every ID
form the family uses, including the Raw Data page of a task made by /v1/video/create."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from pathlib import Path

import pytest

from bot.store import JobStatus
from bot.videoapi import NO_REASON
from bot.videoapi.simulator import CHUNKS_THROUGH_TASK_ID, Scenario
from tests.e2e.conftest import Harness, eventually, job_of
from tests.e2e.processes import start_videobot
from tests.e2e.test_quotas import answer, line_ending, log_lines

PROMPT = "A cow with wings flying over a farm at sunset"
MODELS = "sora-2,sora-2-pro,veo3.1-fast,grok"


async def made(harness: Harness, prompt: str = PROMPT, **options: object):
    """Run /video as the member and return its progress message once it has ended."""
    interaction = await harness.video(harness.world.member, prompt, **options)
    message = await harness.progress_message(await harness.thread_for(interaction))
    await harness.fake.wait_until(
        lambda: (harness.fake.message(message.id).embed or {}).get("title", "")[:1] in ("✅", "❌"),
        timeout=15, message="the video to end")
    return harness.fake.message(message.id)


async def charged_once(bot, message) -> None:
    """The job ended with its video (it is recorded just after it is shown) and kept its one charge."""
    async def ended() -> bool:
        return (await job_of(bot, message)).status.finished

    await eventually(ended, message="the job's end to be recorded")
    job = await job_of(bot, message)
    entry = await bot.store.quotas.usage_for_job(job.id)
    assert job.status is JobStatus.SUCCEEDED and entry is not None and entry.refunded_at is None


async def test_an_error_event_after_the_task_id_then_a_completed_task_delivers_the_video_charged_once(
    harness: Harness,
) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.01, error_code="upstream_error",
                                       failure_reason="Gateway timeout, please retry."))
    async with harness.bot() as bot:
        done = await made(harness)
        assert done.embed["title"].startswith("✅ Finished in")
        await charged_once(bot, done)
    [task] = harness.simulator.tasks.values()
    assert len(harness.chat_requests()) == 1  # asked of the task, never sent again
    assert any(r.path == f"/source/{task.shown_id}" for r in harness.simulator.requests)


@pytest.mark.parametrize(
    ("scenario", "code", "billing", "member_reads"),
    [
        # Refused at the request stage: an HTTP 400 whose body carries the code (help.apiyi.com's example).
        (Scenario(http_status=400, refusal_code="sentinel_block",
                  refusal_reason="Hmmm something didn't look right with your request."),
         "sentinel_block", "not billed by the vendor", "safety check refused this prompt before making anything"),
        # Stopped during generation: an error event after the task ID, then the task says it failed.
        (Scenario(error_code="moderation_blocked", outcome="refusal",
                  refusal_reason="Your request was blocked by our moderation system."),
         "moderation_blocked", "billed by the vendor", "moderation stopped this video while it was being made"),
        # A cameo whose owner did not allow it: the transcript's failure line ends in the code.
        (Scenario(outcome="refusal", refusal_reason="cameo_permission_denied"),
         "cameo_permission_denied", "billed by the vendor", "has not allowed their cameo to be used"),
        # Any other refusal: its words, billed as the chat route's failures are.
        (Scenario(outcome="refusal", refusal_reason="similarity to third-party content"),
         None, "billed by the vendor", "similarity to third-party content"),
    ],
    ids=["sentinel_block", "moderation_blocked", "cameo_permission_denied", "other"],
)
async def test_a_refusal_is_classified_by_its_code_and_shown_to_moderators(
    harness: Harness, scenario: Scenario, code: str | None, billing: str, member_reads: str
) -> None:
    world = harness.world
    mod_log = world.guild.create_text_channel("mod-log")
    harness.simulator.enqueue(scenario)
    async with harness.bot() as bot:
        await bot.store.settings.update(world.guild.id, mod_log_channel_id=mod_log.id)
        done = await made(harness)
        job = await job_of(bot, done)
        [line] = await log_lines(harness, mod_log, 1)
        await line_ending(harness, line, "❌")
        logged = harness.fake.message(line.id).content
        board = await answer(harness, world.moderator, "quota top")

        async def refunded() -> bool:
            entry = await bot.store.quotas.usage_for_job(job.id)
            return entry is not None and entry.refunded_at is not None

        await eventually(refunded, message="the member's unit to come back")
        job = await job_of(bot, done)
    assert done.embed["title"].startswith("❌") and member_reads in done.embed["description"]
    assert (job.failure_code, job.error_kind) == (code, "refused")
    assert f"❌ refused ({code})" in logged if code else "❌ refused: similarity" in logged
    assert logged.endswith(f" · {billing}")
    likely = billing.removesuffix(" by the vendor")
    assert f"Failed or cancelled (refunded to members): 1 video; the vendor likely: 1 {likely}" in board


async def test_video_offers_only_what_the_profile_says_is_honoured(harness: Harness) -> None:
    async with harness.bot(VIDEO_MODELS=MODELS):
        command = harness.fake.world.find_command("video", harness.world.guild.id)
        assert command is not None
        options = {o["name"]: o for o in command.data["options"]}
        durations = sorted(c["value"] for c in options["duration"]["choices"])
        sizes = sorted(c["value"] for c in options["size"]["choices"])
        # sora-2 10 s SD, sora-2-pro 15 s HD on the chat route; Veo 3.1 Fast 8 s; Grok's length is its own.
        assert (durations, sizes) == ([8, 10, 15], ["large", "small"])
        refused = await harness.private_answer(
            await harness.video(harness.world.member, PROMPT, model="sora-2", duration=15))
        assert refused == "sora-2 can't make 15-second videos; choose 10 s."
        small_pro = await harness.private_answer(
            await harness.video(harness.world.member, PROMPT, model="sora-2-pro", size="small"))
        assert small_pro == "sora-2-pro can't make small videos; choose large."
        done = await made(harness, model="sora-2-pro", orientation="landscape")
    [body] = harness.chat_requests()
    assert body["messages"][-1]["content"] == f"{PROMPT}\n\n横屏 16:9"  # no length word the service ignores
    [task] = harness.simulator.tasks.values()
    assert (task.orientation, task.duration) == ("landscape", 15)
    assert "⚠️" not in done.embed["description"]


@pytest.mark.parametrize("listed_as", ["sora-2-pro", "sora-2"])
async def test_recovery_asks_a_sora_2_pro_task_under_either_prefix(harness: Harness, listed_as: str) -> None:
    # The Raw Data page does not know this task; the task endpoints do, under the reseller's own prefix.
    harness.simulator.enqueue(Scenario(step_delay=0.01, drop_after_chunks=CHUNKS_THROUGH_TASK_ID,
                                       listed_as=listed_as, raw_data_missing=True))
    async with harness.bot(VIDEO_MODELS=MODELS) as bot:
        done = await made(harness, model="sora-2-pro")
        assert done.embed["title"].startswith("✅ Finished in")
        await charged_once(bot, done)
    [task] = harness.simulator.tasks.values()
    asked = {r.path for r in harness.simulator.requests if r.path.startswith("/v1/videos/")}
    assert f"/v1/videos/{listed_as}:{task.bare_id}" in asked
    assert len(harness.chat_requests()) == 1


async def test_recovery_follows_a_model_prefixed_veo_id_and_its_raw_data_link(
    harness: Harness, tmp_path: Path
) -> None:
    profile = tmp_path / "veo-chat.toml"
    profile.write_text('extends = "kkiai"\n[[models]]\nname = "veo3-pro"\nlabel = "Veo 3 Pro"\nroute = "chat"\n'
                       'durations = [8]\nimage = "vision"\noptions = { orientation = "prompt" }\n'
                       'recovery = ["raw_data", "query"]\non_failure = "billed"\n', encoding="utf-8")
    harness.simulator.enqueue(Scenario(step_delay=0.01, dialect="veo", drop_after_chunks=2))
    async with harness.bot(VIDEO_PROVIDER=str(profile), VIDEO_MODELS="sora-2,veo3-pro") as bot:
        done = await made(harness, model="veo3-pro")
        assert done.embed["title"].startswith("✅ Finished in")
        await charged_once(bot, done)
    [task] = harness.simulator.tasks.values()
    assert task.full_id.startswith("veo3-pro:") and task.shown_id == task.full_id
    assert any(r.path == f"/source/{task.full_id}" for r in harness.simulator.requests)


async def test_a_task_endpoint_task_falls_back_to_its_raw_data_page(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.01, task_endpoints_down=True))
    async with harness.bot() as bot:
        done = await made(harness, model="veo3.1-fast")
        assert done.embed["title"].startswith("✅ Finished in")
        await charged_once(bot, done)
    [task] = harness.simulator.tasks.values()
    assert task.origin == "create"
    assert any(r.path == f"/source/{task.full_id}" for r in harness.simulator.requests)


async def test_a_failed_raw_data_page_without_a_reason_reads_as_a_plain_sentence(harness: Harness) -> None:
    harness.simulator.enqueue(Scenario(step_delay=0.01, outcome="failure", failure_without_reason=True,
                                       drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
    async with harness.bot() as bot:
        done = await made(harness)

        async def ended() -> bool:
            return (await job_of(bot, done)).status.finished

        await eventually(ended, message="the job's end to be recorded")
        job = await job_of(bot, done)
    assert done.embed["title"].startswith("❌") and NO_REASON in done.embed["description"]
    assert job.vendor_billing == "billed"  # a failed chat-route generation is billed by the reseller


# --- kill -9 during a burst: the pre-send record ------------------------------------------------------------

def _lock_and_look(database: Path) -> tuple[sqlite3.Connection, list[tuple]]:
    """Take SQLite's write lock (the bot's writes wait behind it) and read every job as it stands."""
    db = sqlite3.connect(database, timeout=10, isolation_level=None, check_same_thread=False)
    db.execute("BEGIN IMMEDIATE")
    return db, db.execute("SELECT id, status, sending_at, task_id FROM jobs ORDER BY id").fetchall()


def _ended(database: Path) -> list[tuple]:
    with sqlite3.connect(database, timeout=10) as db:
        return db.execute(
            "SELECT jobs.id, jobs.status, jobs.params, jobs.message_id, jobs.error_kind, jobs.vendor_billing,"
            " usage.refunded_at FROM jobs JOIN usage ON usage.job_id = jobs.id ORDER BY jobs.id"
        ).fetchall()


async def test_killed_during_a_burst_the_never_sent_jobs_run_after_restart_and_only_maybe_sent_ones_are_refunded(
    harness: Harness, tmp_path: Path
) -> None:
    fake, world, simulator = harness.fake, harness.world, harness.simulator
    database = tmp_path / "videobot.sqlite3"
    simulator.set_default(Scenario(step_delay=0.3))  # still generating when the process dies
    assert simulator.base_url
    settings = {
        "DISCORD_DEV_GUILD_ID": str(world.guild.id), "DATABASE_PATH": str(database),
        "VIDEO_API_KEY": "sk-test-0123456789", "VIDEO_API_BASE_URL": simulator.base_url,
        "VIDEO_RAW_DATA_URL": simulator.raw_data_url, "TRUSTED_MEDIA_ORIGINS": simulator.media_origin,
        "MAX_JOBS_GLOBAL": "50", "MAX_JOBS_PER_GUILD": "50", "MAX_JOBS_PER_USER": "50",
        "DEFAULT_QUOTA_UNITS": "100",
    }
    burst = 16
    log = tmp_path / "bot.log"
    with log.open("ab") as output:
        first = await start_videobot(fake, tmp_path, output=output, **settings)
    try:
        await fake.wait_until(lambda: fake.gateway.identifies, timeout=20, message="the bot to connect")
        for n in range(burst):
            await fake.slash(world.member, world.channel, "video", prompt=f"burst video number {n}")
        await fake.wait_until(harness.chat_requests, timeout=20, message="the first request to leave")
        at_kill: list[tuple] = []
        for _ in range(2000):  # until the kill finds a job started but not yet sent
            db, at_kill = await asyncio.to_thread(_lock_and_look, database)
            if any(status == "running" and sending is None and task is None for _, status, sending, task in at_kill):
                first.send_signal(signal.SIGKILL)
                await first.wait()
                db.execute("ROLLBACK")
                db.close()
                break
            db.execute("ROLLBACK")
            db.close()
            await asyncio.sleep(0.002)
        else:
            pytest.fail("no job was caught between its start and its send")
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    sent_before = {body["messages"][-1]["content"] for body in harness.chat_requests()}
    simulator.set_default(Scenario(step_delay=0.01))
    never_sent = {job for job, status, sending, task in at_kill if status == "running" and sending is None}
    maybe_sent = {job for job, status, sending, task in at_kill if sending is not None and task is None}
    assert never_sent

    with log.open("ab") as output:
        second = await start_videobot(fake, tmp_path, output=output, **settings)
    try:
        await fake.wait_until(lambda: len(fake.gateway.identifies) >= 2, timeout=20, message="the restart")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not all(status in ("succeeded", "failed", "cancelled") for _, status, *_ in _ended(database)):
            assert loop.time() < deadline, f"jobs still unfinished; the bot's log:\n{log.read_text()[-3000:]}"
            await asyncio.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=20)

    asked = [body["messages"][-1]["content"] for body in harness.chat_requests()]
    for job, status, params, message_id, kind, billing, refunded in _ended(database):
        prompt = json.loads(params)["prompt"]
        sends = sum(1 for content in asked if content.startswith(f"{prompt}\n"))
        assert sends <= 1, f"job {job} was sent {sends} times"
        if job in never_sent:  # never reached the vendor: made after the restart, in its own message, charged once
            assert (status, refunded, sends) == ("succeeded", None, 1), job
            assert not any(content.startswith(f"{prompt}\n") for content in sent_before)
            assert (fake.message(message_id).embed or {}).get("title", "").startswith("✅ Finished in")
        elif job in maybe_sent:  # may have reached it without a task ID: ended, refunded, explained, not re-sent
            assert (status, kind, billing) == ("failed", "interrupted", "maybe_billed"), job
            assert refunded is not None
        elif message_id is not None:
            assert status == "succeeded" and refunded is None, job
