"""Moving a SQLite database into PostgreSQL (`videobot migrate-db`): every row, the same IDs, all or nothing.

Both schemas are brought to the latest version first, so the tables and columns match by construction (and are
checked). The copy reads SQLite inside one transaction (a consistent snapshot that also keeps a bot that was not
stopped from writing meanwhile) and writes PostgreSQL inside one transaction, with COPY, parents before children;
then each identity sequence moves past the highest copied id, and the row counts are compared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.store.postgres import PostgresDatabase
from bot.store.sqlite import SqliteDatabase

BATCH_ROWS = 5000

_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = current_schema()
"""

Progress = Callable[[str, int], None]


class TransferError(Exception):
    """The move cannot be made as asked; nothing was written."""


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What was moved: rows per table, in the order copied, and the schema version of both databases."""

    rows: dict[str, int]
    schema_version: int


async def copy_sqlite_to_postgres(source: Path, target_url: str, *, progress: Progress | None = None) -> TransferReport:
    """Copy every row of the SQLite file `source` into the empty PostgreSQL database of `target_url`."""
    if not await asyncio.to_thread(source.is_file):
        raise TransferError(f"{source} does not exist: nothing to move")
    sqlite = await SqliteDatabase.open(source)
    try:
        postgres = await PostgresDatabase.open(target_url)
        try:
            return await _copy(sqlite, postgres, progress or (lambda table, rows: None))
        finally:
            await postgres.close()
    finally:
        await sqlite.close()


async def _copy(sqlite: SqliteDatabase, postgres: PostgresDatabase, progress: Progress) -> TransferReport:
    await sqlite.migrate()
    await postgres.migrate()
    version = await sqlite.schema_version()
    if await postgres.schema_version() != version:
        raise TransferError("the two databases are at different schema versions; upgrade videobot and retry")
    tables = await _tables_parents_first(postgres)
    for table in tables:
        held = int(await postgres.fetch_value(f"SELECT COUNT(*) FROM {table}"))
        if held:
            raise TransferError(f"the PostgreSQL database already holds data ({held} rows in {table}); "
                                "move into an empty database")
    rows: dict[str, int] = {}
    async with sqlite.transaction(), postgres.transaction():
        for table in tables:
            columns = await _matching_columns(sqlite, postgres, table)
            rows[table] = await _copy_table(sqlite, postgres, table, columns)
            progress(table, rows[table])
        for table in await _identity_tables(postgres):
            await postgres.fetch_value(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
                f" FROM {table}"
            )
        for table, copied in rows.items():
            if int(await postgres.fetch_value(f"SELECT COUNT(*) FROM {table}")) != copied:
                raise TransferError(f"{table} does not hold the {copied} rows copied; nothing was kept")
    return TransferReport(rows=rows, schema_version=version)


async def _copy_table(sqlite: SqliteDatabase, postgres: PostgresDatabase, table: str, columns: list[str]) -> int:
    # In rowid order: a turn's parent, added before it, has the smaller rowid, so it is copied first.
    copied, last = 0, -(2**63)
    listed = ", ".join(columns)
    while True:
        batch = await sqlite.fetch_all(
            f"SELECT rowid, {listed} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, BATCH_ROWS)
        )
        if not batch:
            return copied
        await postgres.copy_rows(table, columns, [[row[i] for i in range(1, len(columns) + 1)] for row in batch])
        copied += len(batch)
        last = batch[-1][0]


async def _tables_parents_first(postgres: PostgresDatabase) -> list[str]:
    """Every data table, each after the tables its foreign keys point to."""
    names = [
        row[0]
        for row in await postgres.fetch_all(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name"
        )
    ]
    parents: dict[str, set[str]] = {name: set() for name in names}
    for row in await postgres.fetch_all(_FOREIGN_KEYS):
        child, parent = row[0], row[1]
        if child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(name for name, needs in parents.items() if not needs - set(ordered))
        if not ready:
            raise TransferError(f"foreign keys form a cycle between {', '.join(sorted(parents))}")
        for name in ready:
            ordered.append(name)
            del parents[name]
    return ordered


async def _matching_columns(sqlite: SqliteDatabase, postgres: PostgresDatabase, table: str) -> list[str]:
    source = [row[1] for row in await sqlite.fetch_all(f"PRAGMA table_info({table})")]
    target = [
        row[0]
        for row in await postgres.fetch_all(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
    ]
    if sorted(source) != sorted(target):
        raise TransferError(f"{table} has columns {source} in SQLite but {target} in PostgreSQL")
    return target


async def _identity_tables(postgres: PostgresDatabase) -> list[str]:
    rows = await postgres.fetch_all(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND column_name = 'id' AND is_identity = 'YES' ORDER BY table_name"
    )
    return [row[0] for row in rows]
