"""SQLite, the zero-setup default: one aiosqlite connection, one writer, serialised IMMEDIATE transactions."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.database import MIGRATIONS_TABLE, Clock, Database, Params, Row, utc_now
from bot.store.schema import Migration, MigrationError

BUSY_TIMEOUT_MS = 5000


def split_statements(script: str) -> list[str]:
    """A migration script as single statements, so that they can run inside a transaction we control
    (executescript would commit it first)."""
    statements: list[str] = []
    start = 0
    for index, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : index + 1]):
            statements.append(script[start : index + 1].strip())
            start = index + 1
    rest = "\n".join(line for line in script[start:].splitlines() if not line.strip().startswith("--")).strip()
    if rest:
        statements.append(rest)
    return statements


class SqliteDatabase(Database):
    """One aiosqlite connection used as the single writer, with explicit, serialised transactions.

    aiosqlite runs every call on one thread, but a multi-statement transaction spans several awaits;
    the lock keeps other coroutines' statements out of it. The task that holds a transaction owns it:
    its own statements join the transaction, while every other task (even one it started) waits.
    BEGIN IMMEDIATE serialises whole transactions across processes too, so `lock` has nothing to add.
    """

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: Path | str, *, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self._conn = connection
        self._path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, path: Path | str, *, clock: Clock = utc_now) -> SqliteDatabase:
        """Open (creating folders as needed) with WAL, foreign keys and a busy timeout."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        connection.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA foreign_keys = ON",
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            "PRAGMA synchronous = NORMAL",  # durable across bot crashes; see discord-limits.md §6
        ):
            await connection.execute(pragma)
        return cls(connection, path, clock=clock)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def describe(self) -> str:
        return f"SQLite {self._path}"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self.in_transaction():
            yield
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                try:
                    # IMMEDIATE takes the write lock up front: a read-then-write cannot fail with
                    # SQLITE_BUSY_SNAPSHOT halfway, and concurrent writers queue on busy_timeout.
                    await self._conn.execute("BEGIN IMMEDIATE")
                    yield
                except BaseException:
                    # Also when the BEGIN itself was cancelled (shutdown cancels tasks wherever they are):
                    # aiosqlite still runs it on its thread, and this ROLLBACK runs after it there. Without
                    # it the connection would stay inside that transaction, and every later write be lost.
                    with contextlib.suppress(sqlite3.OperationalError):  # the BEGIN failed: nothing to undo
                        await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                self._owner = None

    def in_transaction(self) -> bool:
        # By task, not by context variable: a task created inside a transaction inherits the context,
        # and would otherwise write into a transaction it does not own, without the lock.
        return self._owner is not None and self._owner is asyncio.current_task()

    async def lock(self, *name: object) -> None:
        return None  # BEGIN IMMEDIATE already keeps every other writer out until COMMIT

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[aiosqlite.Connection]:
        if self.in_transaction():
            yield self._conn
        else:
            async with self._lock:
                yield self._conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._statement() as conn:
            cursor = await conn.execute(sql, params)
            changed = cursor.rowcount
            await cursor.close()
            return changed

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._statement() as conn:
            cursor = await conn.execute(sql, params)
            row_id = cursor.lastrowid
            await cursor.close()
            if row_id is None:
                raise sqlite3.IntegrityError("INSERT created no row")
            return row_id

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._statement() as conn, conn.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._statement() as conn, conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def has_table(self, name: str) -> bool:
        return bool(await self.fetch_value("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    async def _apply_pending(self, migrations: list[Migration]) -> list[int]:
        applied: list[int] = []
        async with self._lock:
            for migration in migrations:
                if await self._apply(migration):
                    applied.append(migration.version)
        return applied

    async def _apply(self, migration: Migration) -> bool:
        # BEGIN IMMEDIATE is the cross-process lock: a second process starting at the same moment waits
        # here, then finds the version this one recorded. The version row commits with the schema change.
        conn = self._conn
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(MIGRATIONS_TABLE)
            async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] >= migration.version:
                await conn.execute("COMMIT")
                return False
            for statement in split_statements(migration.sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, self.now()),
            )
            await conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(f"migration {migration.name} failed and was rolled back: {exc}") from exc
        return True
