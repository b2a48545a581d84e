"""Migrations: a blank database gets exactly the schema, on either backend, once (even when several processes
start together), atomically, from well-numbered files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.store import Database, MigrationError, load_migrations, open_database
from bot.store.schema import shared_sql_for_postgresql

EXPECTED_TABLES = {
    "schema_migrations": ["version", "name", "applied_at"],
    "conversations": [
        "id", "guild_id", "channel_id", "thread_id", "owner_id", "model", "created_at", "intent_hint_sent",
    ],
    "turns": [
        "id", "conversation_id", "parent_id", "role", "content", "discord_message_id", "author_id",
        "task_id", "sid", "video_url", "preview_url", "created_at", "deleted_by", "deleted_at",
    ],
    "jobs": [
        "id", "guild_id", "user_id", "conversation_id", "request_turn_id", "result_turn_id", "status", "model",
        "params", "task_id", "progress", "channel_id", "message_id", "error", "error_kind", "cancelled_by",
        "cost", "attempts", "created_at", "started_at", "finished_at", "remix_number", "quota_note",
        "post_channel_id", "post_message_id", "cancel_requested_by", "delivered_to",
        "owner", "heartbeat_at", "video_attached", "attached_preview", "reencoded_for", "too_large_limit",
        "fit_failed", "trimmed_to", "link_gone", "service_note",
        "sending_at", "failure_code", "vendor_billing", "button_key", "link_checked_at",
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
    "rest_sharers": ["owner", "joined_at", "seen_at"],
    "server_keys": ["guild_id", "ciphertext", "last4", "set_by", "set_at"],
    "job_costs": ["job_id", "guild_id", "price_micros", "currency", "own_key"],
    "video_stars": ["job_id", "user_id", "guild_id", "starred_at"],
    "best_of_posts": ["job_id", "guild_id", "channel_id", "message_id", "posted_at"],
    "library_settings": [
        "guild_id", "library_enabled", "stars_enabled", "best_of_channel_id", "best_of_stars", "updated_by",
        "updated_at",
    ],
}

# The hot queries: a thread's history path, a reply's turn, unfinished jobs, a user's usage in a period,
# the jobs a process holds.
EXPECTED_INDEXES = {
    "turns_by_conversation": ("turns", ["conversation_id", "id"]),
    "turns_by_parent": ("turns", ["parent_id"]),
    "turns_by_message": ("turns", ["discord_message_id"]),
    "jobs_unfinished": ("jobs", ["status"]),
    "jobs_unfinished_by_id": ("jobs", ["id"]),
    "jobs_by_user": ("jobs", ["guild_id", "user_id", "status"]),
    "jobs_by_message": ("jobs", ["message_id"]),
    "jobs_by_owner": ("jobs", ["owner"]),
    "usage_by_user_time": ("usage", ["guild_id", "user_id", "created_at"]),
    "usage_by_guild_time": ("usage", ["guild_id", "created_at"]),
    "audit_by_guild_time": ("audit_log", ["guild_id", "created_at"]),
    "jobs_by_finish": ("jobs", ["finished_at"]),
    "jobs_library": ("jobs", ["guild_id", "status", "finished_at"]),
    "video_stars_by_guild": ("video_stars", ["guild_id", "starred_at"]),
}

_POSTGRES_INDEXES = """
SELECT i.relname AS name, t.relname AS tbl, array_agg(a.attname ORDER BY k.ord) AS cols
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
GROUP BY i.relname, t.relname
"""


async def schema_of(db: Database) -> tuple[dict[str, list[str]], dict[str, tuple[str, list[str]]]]:
    """Tables with their columns in order, and the indexes made by CREATE INDEX (not those of constraints)."""
    if db.dialect == "sqlite":
        tables = [r[0] for r in await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {t: [c[1] for c in await db.fetch_all(f"PRAGMA table_info({t})")] for t in tables}
        indexes = {
            name: (table, [c[2] for c in await db.fetch_all(f"PRAGMA index_info({name})")])
            for name, table in await db.fetch_all(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
        return columns, indexes
    columns = {}
    for row in await db.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        columns.setdefault(row[0], []).append(row[1])
    indexes = {row["name"]: (row["tbl"], list(row["cols"])) for row in await db.fetch_all(_POSTGRES_INDEXES)}
    return columns, indexes


async def test_blank_database_gets_exactly_the_expected_schema(database: Path | str) -> None:
    db = await open_database(database)
    try:
        applied = await db.migrate()
        columns, indexes = await schema_of(db)
    finally:
        await db.close()
    assert applied == [m.version for m in load_migrations()]
    assert columns == EXPECTED_TABLES
    assert indexes == EXPECTED_INDEXES


async def test_postgresql_keeps_64_bit_integers_like_sqlite(postgres: str) -> None:
    """Discord IDs are above 2**31 and epoch seconds pass it in 2038: no column may be PostgreSQL's 32-bit
    `integer` (a shared migration's INTEGER is read as BIGINT), except the migration numbers themselves."""
    db = await open_database(postgres)
    try:
        await db.migrate()
        narrow = await db.fetch_all(
            "SELECT table_name || '.' || column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type IN ('integer', 'smallint')"
        )
        snowflake = 1_234_567_890_123_456_789
        await db.execute(
            "INSERT INTO jobs (guild_id, user_id, model, created_at) VALUES (?, ?, 'sora-2', ?)",
            (snowflake, snowflake, 2**40),
        )
        stored = await db.fetch_one("SELECT guild_id, created_at FROM jobs")
    finally:
        await db.close()
    assert [row[0] for row in narrow] == ["schema_migrations.version"]
    assert stored is not None and (stored["guild_id"], stored["created_at"]) == (snowflake, 2**40)


async def test_migrating_twice_changes_nothing(database: Path | str) -> None:
    db = await open_database(database)
    try:
        await db.migrate()
        version = await db.schema_version()
        assert await db.migrate() == []
        assert await db.schema_version() == version
        assert (await schema_of(db))[0] == EXPECTED_TABLES
    finally:
        await db.close()


async def test_processes_starting_together_apply_each_migration_once(database: Path | str) -> None:
    """Four connections (as four processes would hold) migrate a blank database at the same moment: every
    migration is applied by exactly one of them, and none fails."""
    dbs = [await open_database(database) for _ in range(4)]
    try:
        results = await asyncio.gather(*(db.migrate() for db in dbs))
        recorded = await dbs[0].fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        for db in dbs:
            await db.close()
    every = [m.version for m in load_migrations()]
    assert sorted(v for applied in results for v in applied) == every
    assert [row[0] for row in recorded] == every


async def test_display_hints_move_from_the_params_json_into_their_own_columns(database: Path | str) -> None:
    """Jobs admitted before 0004 kept "remix_number" and "quota_note" inside params; a resumed job must
    still show them after the upgrade, and the params must be the request alone."""
    db = await open_database(database)
    migrations = load_migrations(dialect=db.dialect)
    try:
        await db.migrate([m for m in migrations if m.version < 4])
        await db.execute(
            "INSERT INTO jobs (guild_id, user_id, model, params, created_at) VALUES (1, 2, 'sora-2', ?, 0)",
            ('{"prompt": "a cow", "extra": {"remix_number": 2, "quota_note": "3 of 5 left today"}}',),
        )
        await db.migrate(migrations)
        row = await db.fetch_one("SELECT params, remix_number, quota_note FROM jobs")
    finally:
        await db.close()
    assert row is not None
    assert (json.loads(row["params"]), row["remix_number"], row["quota_note"]) == (
        {"prompt": "a cow"}, 2, "3 of 5 left today",
    )


async def test_sqlite_pragmas_are_set(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "videobot.sqlite3")
    try:
        assert await db.fetch_value("PRAGMA journal_mode") == "wal"
        assert await db.fetch_value("PRAGMA foreign_keys") == 1
        assert await db.fetch_value("PRAGMA busy_timeout") == 5000
    finally:
        await db.close()


async def test_a_failing_migration_leaves_schema_and_version_unchanged(database: Path | str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nALTER TABLE a ADD COLUMN z TEXT;\nINSERT INTO nowhere VALUES (1);"
    )
    db = await open_database(database)
    try:
        with pytest.raises(MigrationError, match=r"0002_broken\.sql failed and was rolled back"):
            await db.migrate(load_migrations(folder, dialect=db.dialect))
        assert await db.schema_version() == 1
        columns, _ = await schema_of(db)
    finally:
        await db.close()
    assert columns == {"schema_migrations": ["version", "name", "applied_at"], "a": ["x"]}


def test_postgresql_reads_a_shared_migration_with_sqlite_integers_and_row_ids() -> None:
    shared = "CREATE TABLE t (id INTEGER PRIMARY KEY, guild_id INTEGER NOT NULL, note TEXT);"
    assert shared_sql_for_postgresql(shared) == (
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, guild_id BIGINT NOT NULL, note TEXT);"
    )


def test_a_postgresql_file_replaces_the_shared_one_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);")
    (tmp_path / "0002_json.sql").write_text("SELECT json_extract('{}', '$.a');")
    (tmp_path / "postgresql").mkdir()
    (tmp_path / "postgresql" / "0002_json.sql").write_text("SELECT '{}'::jsonb -> 'a';")
    sqlite = load_migrations(tmp_path)
    postgresql = load_migrations(tmp_path, dialect="postgresql")
    assert [m.sql for m in sqlite] == ["CREATE TABLE a (x INTEGER);", "SELECT json_extract('{}', '$.a');"]
    assert [m.sql for m in postgresql] == ["CREATE TABLE a (x BIGINT);", "SELECT '{}'::jsonb -> 'a';"]


def test_a_postgresql_file_must_replace_a_shared_one(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "postgresql").mkdir()
    (tmp_path / "postgresql" / "0002_only_here.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0002_only_here\.sql replaces no migration"):
        load_migrations(tmp_path, dialect="postgresql")


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
    for dialect in ("sqlite", "postgresql"):
        versions = [m.version for m in load_migrations(dialect=dialect)]
        expected = list(range(1, max(versions) + 1))
        assert versions == expected
