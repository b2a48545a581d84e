"""Moving an existing SQLite database into PostgreSQL: every record reads back the same through the
repositories, new rows continue after the old IDs, and a database that already holds data is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.store import Conversation, Job, JobParams, JobStatus, Store, Turn, load_migrations
from bot.store.transfer import TransferError, copy_sqlite_to_postgres
from tests.conftest import FakeClock

SNOWFLAKE = 1_180_000_000_000_000_000  # Discord IDs need all 64 bits
LATEST = load_migrations()[-1].version


@dataclass(frozen=True)
class Made:
    guild: int
    conversation: Conversation
    jobs: list[Job]
    remix: Turn


async def fill(store: Store, clock: FakeClock) -> Made:
    """A little of everything a running bot writes, including the awkward parts."""
    guild = SNOWFLAKE + 1
    conversation = await store.conversations.create(
        guild_id=guild, channel_id=SNOWFLAKE + 2, thread_id=SNOWFLAKE + 3, owner_id=SNOWFLAKE + 4, model="sora-2"
    )
    prompt = await store.conversations.add_turn(
        conversation_id=conversation.id, parent_id=None, role="user", content="a cow 🐄 with 'wings'",
        discord_message_id=SNOWFLAKE + 5, author_id=SNOWFLAKE + 4,
    )
    video = await store.conversations.add_turn(
        conversation_id=conversation.id, parent_id=prompt.id, role="assistant", content="```json\n{}\n```\r\n✅",
        discord_message_id=SNOWFLAKE + 6, task_id="task_1", video_url="https://cdn.example/v.mp4",
    )
    remix = await store.conversations.add_turn(
        conversation_id=conversation.id, parent_id=video.id, role="user", content="at night"
    )
    await store.conversations.claim_intent_hint(conversation.id)
    done = await store.jobs.create(guild_id=guild, user_id=SNOWFLAKE + 4, model="sora-2",
                                   params=JobParams("a cow", duration=15), cost=2, remix_number=1)
    await store.jobs.attach(done.id, conversation_id=conversation.id, request_turn_id=prompt.id,
                            channel_id=SNOWFLAKE + 3, message_id=SNOWFLAKE + 6)
    await store.quotas.reserve(guild_id=guild, user_id=SNOWFLAKE + 4, job_id=done.id, units=2,
                               since=clock.now, limit=10)
    await store.jobs.finish(done.id, JobStatus.SUCCEEDED, result_turn_id=video.id)
    refunded = await store.jobs.create(guild_id=guild, user_id=SNOWFLAKE + 4, model="sora-2",
                                       params=JobParams("x"), cost=1)
    await store.quotas.reserve(guild_id=guild, user_id=SNOWFLAKE + 4, job_id=refunded.id, units=1,
                               since=clock.now, limit=10)
    await store.jobs.finish(refunded.id, JobStatus.FAILED, error="declined", error_kind="refused")
    await store.quotas.refund(refunded.id)
    running = await store.jobs.create(guild_id=guild, user_id=SNOWFLAKE + 7, model="sora-2-pro",
                                      params=JobParams("at night"), cost=1)
    await store.leases.claim(running.id, "process-a")
    await store.jobs.mark_running(running.id)
    await store.jobs.set_task_id(running.id, "task_2")
    await store.jobs.set_quota_note(running.id, "3 of 5 left today")
    await store.quotas.reserve(guild_id=guild, user_id=SNOWFLAKE + 7, job_id=running.id, units=1,
                               since=clock.now, limit=5)
    clock.advance(minutes=1)
    await store.quotas.forgive(guild_id=guild, user_id=SNOWFLAKE + 7, since=clock.now - timedelta(hours=1), by=9)
    await store.quotas.set_policy(guild_id=guild, scope="role", target_id=SNOWFLAKE + 8, period="week",
                                  max_units=10, max_concurrent=2, updated_by=9)
    await store.quotas.set_model_cost(guild, "sora-2-pro", 3)
    await store.audit.record(guild_id=guild, actor_id=9, action="quota.set", details={"after": {"units": 10}})
    await store.settings.update(guild, default_model="grok", plain_messages_remix=True, cooldown_seconds=30)
    await store.settings.allow_channel(guild, SNOWFLAKE + 3)
    await store.modlog.remember(done.id, SNOWFLAKE + 9, SNOWFLAKE + 10)
    return Made(guild, conversation, [done, refunded, running], remix)


async def snapshot(store: Store, made: Made) -> list[object]:
    """Everything `fill` wrote, read back through the repositories."""
    guild = made.guild
    jobs = [await store.jobs.get(job.id) for job in made.jobs]
    return [
        await store.conversations.get(made.conversation.id),
        await store.conversations.path(made.remix.id),
        await store.conversations.claim_intent_hint(made.conversation.id),
        jobs,
        [await store.quotas.usage_for_job(job.id) for job in jobs],
        await store.quotas.policies(guild),
        await store.quotas.model_cost(guild, "sora-2-pro"),
        await store.audit.recent(guild),
        await store.settings.get(guild),
        await store.modlog.of_job(jobs[0].id),
    ]


async def test_every_record_reads_back_the_same_after_the_move(tmp_path: Path, postgres: str, clock: FakeClock) -> None:
    source = tmp_path / "videobot.sqlite3"
    sqlite = await Store.open(source, clock=clock)
    made = await fill(sqlite, clock)
    before = await snapshot(sqlite, made)
    await sqlite.close()

    report = await copy_sqlite_to_postgres(source, postgres)
    assert report.schema_version == LATEST
    assert report.rows["jobs"] == 3 and report.rows["turns"] == 3 and report.rows["usage"] == 3
    order = list(report.rows)  # parents before children
    assert order.index("conversations") < order.index("turns") < order.index("jobs") < order.index("usage")

    moved = await Store.open(postgres, clock=clock)
    try:
        assert await snapshot(moved, made) == before
        newest = max(job.id for job in made.jobs)
        later = await moved.jobs.create(guild_id=1, user_id=2, model="sora-2", params=JobParams("p"), cost=1)
        assert later.id == newest + 1  # IDs go on from where SQLite left off
    finally:
        await moved.close()


async def test_moving_into_a_database_that_holds_data_is_refused_and_writes_nothing(
    tmp_path: Path, postgres: str, clock: FakeClock
) -> None:
    source = tmp_path / "videobot.sqlite3"
    sqlite = await Store.open(source, clock=clock)
    await fill(sqlite, clock)
    await sqlite.close()
    target = await Store.open(postgres, clock=clock)
    try:
        await target.audit.record(guild_id=1, actor_id=2, action="x", details={})
        with pytest.raises(TransferError, match=r"already holds data \(1 rows in audit_log\)"):
            await copy_sqlite_to_postgres(source, postgres)
        assert await target.jobs.latest_id() == 0
    finally:
        await target.close()


def run_videobot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env={**base, **env}, cwd=cwd, capture_output=True, text=True,
        timeout=60, check=False,
    )


async def test_the_migrate_db_command_moves_the_database_and_check_then_reports_postgresql(
    tmp_path: Path, postgres: str, clock: FakeClock
) -> None:
    """What an operator runs: the move, then `--check` on the new database; the password is never shown."""
    sqlite = await Store.open(tmp_path / "data" / "videobot.sqlite3", clock=clock)
    await fill(sqlite, clock)
    await sqlite.close()
    password = urlsplit(postgres).password
    assert password

    moved = run_videobot("migrate-db", env={"DATABASE_URL": postgres}, cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    url = urlsplit(postgres)
    shown = f"{url.username}@{url.hostname}:{url.port}{url.path}"  # where, without the password
    lines = moved.stdout.splitlines()
    assert lines[0] == f"Moving SQLite data/videobot.sqlite3 into PostgreSQL at {shown}"
    assert "  jobs: 3" in lines and "  usage: 3" in lines
    assert lines[-2] == f"Done: 16 rows in 17 tables, schema version {LATEST}."

    checked = run_videobot(
        "--check", env={"DATABASE_URL": postgres, "DISCORD_TOKEN": "t" * 30, "VIDEO_API_KEY": "k" * 30,
                        "VIDEO_API_BASE_URL": "http://127.0.0.1:9", "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api"},
        cwd=tmp_path,
    )
    assert checked.stdout.splitlines()[1].startswith("ok       database: PostgreSQL ")
    assert checked.stdout.splitlines()[1].endswith(f" at {shown}, schema version {LATEST}")

    again = run_videobot("migrate-db", "--to", postgres, env={}, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith("videobot: migrate-db: the PostgreSQL database already holds data")
    for result in (moved, checked, again):
        assert password not in result.stdout + result.stderr


def test_migrate_db_says_what_is_wrong_in_one_sentence_without_the_password(tmp_path: Path, postgres: str) -> None:
    wrong = postgres.replace(urlsplit(postgres).password or "", "not-the-password-at-all")
    missing = run_videobot("migrate-db", "--from", "nowhere.sqlite3", env={"DATABASE_URL": postgres}, cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (1, "videobot: migrate-db: nowhere.sqlite3 does not exist: "
                                                       "nothing to move\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "videobot.sqlite3").touch()
    refused = run_videobot("migrate-db", env={"DATABASE_URL": wrong}, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith("videobot: migrate-db: nothing was moved (password authentication failed")
    assert "not-the-password-at-all" not in refused.stdout + refused.stderr
    unset = run_videobot("migrate-db", env={}, cwd=tmp_path)
    assert unset.returncode == 2 and "set DATABASE_URL" in unset.stderr
