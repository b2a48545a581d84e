"""Migrations: a blank database gets exactly the schema, once, atomically, from well-numbered files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import Database, MigrationError, load_migrations

EXPECTED_TABLES = {
    "schema_migrations": ["version", "name", "applied_at"],
    "conversations": [
        "id", "guild_id", "channel_id", "thread_id", "owner_id", "model", "created_at", "intent_hint_sent",
    ],
    "turns": [
        "id", "conversation_id", "parent_id", "role", "content", "discord_message_id", "author_id",
        "task_id", "sid", "video_url", "preview_url", "created_at",
    ],
    "jobs": [
        "id", "guild_id", "user_id", "conversation_id", "request_turn_id", "result_turn_id", "status", "model",
        "params", "task_id", "progress", "channel_id", "message_id", "error", "error_kind", "cancelled_by",
        "cost", "attempts", "created_at", "started_at", "finished_at", "remix_number", "quota_note",
        "post_channel_id", "post_message_id", "cancel_requested_by", "delivered_to",
    ],
    "quota_policies": [
        "id", "guild_id", "scope", "target_id", "period", "max_units", "max_concurrent", "updated_by", "updated_at",
    ],
    "model_costs": ["guild_id", "model", "units"],
    "usage": [
        "id", "guild_id", "user_id", "job_id", "units", "created_at", "refunded_at", "forgiven_at", "forgiven_by",
    ],
    "audit_log": ["id", "guild_id", "actor_id", "action", "details", "created_at"],
    "guild_settings": [
        "guild_id", "default_model", "plain_messages_remix", "moderators_exempt", "mod_log_channel_id",
        "cooldown_seconds", "max_jobs_per_user", "max_jobs_per_guild", "updated_at",
    ],
    "allowed_channels": ["guild_id", "channel_id"],
    "modlog_posts": ["job_id", "channel_id", "message_id"],
    "app_state": ["key", "value"],
}

# The hot queries: a thread's history path, a reply's turn, unfinished jobs, a user's usage in a period.
EXPECTED_INDEXES = {
    "turns_by_conversation": ("turns", ["conversation_id", "id"]),
    "turns_by_parent": ("turns", ["parent_id"]),
    "turns_by_message": ("turns", ["discord_message_id"]),
    "jobs_unfinished": ("jobs", ["status"]),
    "jobs_by_user": ("jobs", ["guild_id", "user_id", "status"]),
    "jobs_by_message": ("jobs", ["message_id"]),
    "usage_by_user_time": ("usage", ["guild_id", "user_id", "created_at"]),
    "usage_by_guild_time": ("usage", ["guild_id", "created_at"]),
    "audit_by_guild_time": ("audit_log", ["guild_id", "created_at"]),
}


def schema_of(path: Path) -> tuple[dict[str, list[str]], dict[str, tuple[str, list[str]]]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
        indexes = {
            name: (table, [c[2] for c in conn.execute(f"PRAGMA index_info({name})")])
            for name, table in conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    return columns, indexes


async def test_blank_database_gets_exactly_the_expected_schema(db_path: Path) -> None:
    db = await Database.open(db_path)
    applied = await db.migrate()
    await db.close()

    columns, indexes = schema_of(db_path)
    assert applied == [m.version for m in load_migrations()]
    assert columns == EXPECTED_TABLES
    assert indexes == EXPECTED_INDEXES


async def test_migrating_twice_changes_nothing(db_path: Path) -> None:
    db = await Database.open(db_path)
    await db.migrate()
    version = await db.schema_version()
    assert await db.migrate() == []
    assert await db.schema_version() == version
    await db.close()
    assert schema_of(db_path)[0] == EXPECTED_TABLES


async def test_display_hints_move_from_the_params_json_into_their_own_columns(db_path: Path) -> None:
    """Jobs admitted before 0004 kept "remix_number" and "quota_note" inside params; a resumed job must
    still show them after the upgrade, and the params must be the request alone."""
    migrations = load_migrations()
    db = await Database.open(db_path)
    await db.migrate([m for m in migrations if m.version < 4])
    await db.execute(
        "INSERT INTO jobs (guild_id, user_id, model, params, created_at) VALUES (1, 2, 'sora-2', ?, 0)",
        ('{"prompt": "a cow", "extra": {"remix_number": 2, "quota_note": "3 of 5 left today"}}',),
    )
    await db.migrate(migrations)
    row = await db.fetch_one("SELECT params, remix_number, quota_note FROM jobs")
    await db.close()
    assert row is not None
    assert (row["params"], row["remix_number"], row["quota_note"]) == ('{"prompt":"a cow"}', 2, "3 of 5 left today")


async def test_pragmas_are_set(db_path: Path) -> None:
    db = await Database.open(db_path)
    assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    assert await db.fetch_value("PRAGMA foreign_keys") == 1
    assert await db.fetch_value("PRAGMA busy_timeout") == 5000
    await db.close()


async def test_a_failing_migration_leaves_schema_and_version_unchanged(db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nALTER TABLE a ADD COLUMN z TEXT;\nINSERT INTO nowhere VALUES (1);"
    )
    db = await Database.open(db_path)
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed and was rolled back"):
        await db.migrate(load_migrations(folder))
    assert await db.schema_version() == 1
    await db.close()

    columns, _ = schema_of(db_path)
    assert columns == {"schema_migrations": ["version", "name", "applied_at"], "a": ["x"]}


async def test_migrations_with_the_same_number_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "0001_one.sql").write_text("SELECT 1;")
    (tmp_path / "0001_other.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="two migrations share number 0001"):
        load_migrations(tmp_path)


async def test_badly_named_migration_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "1_first.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="not named like"):
        load_migrations(tmp_path)


def test_shipped_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in load_migrations()]
    assert versions == list(range(1, len(versions) + 1))
