"""The SQLite connection: pragmas, one writer, explicit transactions and numbered migrations."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Params = Sequence[Any] | dict[str, Any]

MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 5000

class MigrationError(Exception):
    """The migrations folder is inconsistent, or a migration failed (and was rolled back)."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def to_epoch(moment: datetime) -> int:
    """Seconds since the epoch, the way every time is stored."""
    return int(moment.timestamp())


def at(seconds: int) -> datetime:
    """The inverse of `to_epoch`, for a column that is never NULL."""
    return datetime.fromtimestamp(seconds, UTC)


def from_epoch(seconds: int | None) -> datetime | None:
    """The inverse of `to_epoch`, keeping NULL as None."""
    return None if seconds is None else at(seconds)


def load_migrations(folder: Traversable | Path | None = None) -> list[Migration]:
    """Read `NNNN_name.sql` files in version order; reject duplicate numbers and stray names."""
    folder = folder if folder is not None else resources.files("migrations")
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = MIGRATION_FILE.match(entry.name)
        if match is None:
            raise MigrationError(f"migration file {entry.name!r} is not named like 0001_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations share number {version:04d}: {found[version].name}, {entry.name}")
        found[version] = Migration(version, entry.name, entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


class Database:
    """One aiosqlite connection used as the single writer, with explicit, serialised transactions.

    aiosqlite runs every call on one thread, but a multi-statement transaction spans several awaits;
    the lock keeps other coroutines' statements out of it. The task that holds a transaction owns it:
    its own statements join the transaction, while every other task (even one it started) waits.
    """

    def __init__(self, connection: aiosqlite.Connection, *, clock: Clock = utc_now) -> None:
        self._conn = connection
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self.clock = clock

    @classmethod
    async def open(cls, path: Path | str, *, clock: Clock = utc_now) -> Database:
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
        return cls(connection, clock=clock)

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        async with self._lock:
            await self._conn.close()

    def now(self) -> int:
        """The injected clock, as stored."""
        return to_epoch(self.clock())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK if the block raises. Nested use joins the outer one."""
        if self._holds_transaction():
            yield
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                # IMMEDIATE takes the write lock up front: a read-then-write cannot fail with
                # SQLITE_BUSY_SNAPSHOT halfway, and concurrent writers queue on busy_timeout.
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                self._owner = None

    def _holds_transaction(self) -> bool:
        # By task, not by context variable: a task created inside a transaction inherits the context,
        # and would otherwise write into a transaction it does not own, without the lock.
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._holds_transaction():
            yield self._conn
        else:
            async with self._lock:
                yield self._conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        async with self._statement() as conn:
            cursor = await conn.execute(sql, params)
            changed = cursor.rowcount
            await cursor.close()
            return changed

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; return the new row's id."""
        async with self._statement() as conn:
            cursor = await conn.execute(sql, params)
            row_id = cursor.lastrowid
            await cursor.close()
            if row_id is None:
                raise sqlite3.IntegrityError("INSERT created no row")
            return row_id

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        async with self._statement() as conn, conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Every row of a query."""
        async with self._statement() as conn, conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def schema_version(self) -> int:
        """The highest migration applied, 0 for a blank database."""
        await self._ensure_migrations_table()
        return int(await self.fetch_value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def migrate(self, migrations: Iterable[Migration] | None = None) -> list[int]:
        """Apply every migration newer than the recorded version, each atomically; return those applied."""
        pending = [m for m in (load_migrations() if migrations is None else migrations)]
        current = await self.schema_version()
        applied: list[int] = []
        for migration in pending:
            if migration.version <= current:
                continue
            await self._apply(migration)
            applied.append(migration.version)
            log.info("applied migration %s", migration.name)
        return applied

    async def _ensure_migrations_table(self) -> None:
        await self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )

    async def _apply(self, migration: Migration) -> None:
        # executescript() commits any open transaction first, so BEGIN/COMMIT live inside the script;
        # the version row is written in the same transaction as the schema change.
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;\n"
            "INSERT INTO schema_migrations (version, name, applied_at) "
            f"VALUES ({migration.version}, '{migration.name}', {self.now()});\n"
            "COMMIT;"
        )
        async with self._lock:
            try:
                await self._conn.executescript(script)
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise MigrationError(f"migration {migration.name} failed and was rolled back: {exc}") from exc
