"""PostgreSQL, the shared store for several processes: a bounded asyncpg pool, one connection per transaction.

Unlike SQLite's single writer, transactions here run side by side; what a transaction decides on, it locks
(`Database.lock`, an advisory transaction lock keyed by name), so two processes admitting the same member's last
unit still take turns. Migrations run under a session advisory lock, so two processes starting together apply
each one once.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg

from bot.core.config import display_database_url
from bot.store.database import MIGRATIONS_TABLE, Clock, Database, Params, Row, lock_key, utc_now
from bot.store.schema import Migration, MigrationError

# Connections each process may hold. Transactions are short; beyond this, callers queue for a connection
# rather than exhaust the server's max_connections (100 by default) when several processes share it.
POOL_SIZE = 10
MIGRATION_LOCK = lock_key("videobot", "migrations")

# What the pool lends: a proxy with a connection's methods, returned to the pool when the block ends.
Connection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

_QUOTED_OR_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")
_COUNT = re.compile(r"(\d+)$")


@functools.lru_cache(maxsize=512)
def numbered_placeholders(sql: str) -> str:
    """`?` placeholders (the repositories' shared spelling) as PostgreSQL's `$1, $2, …`; literals untouched."""
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0) != "?":
            return match.group(0)
        counter += 1
        return f"${counter}"

    return _QUOTED_OR_PLACEHOLDER.sub(replace, sql)


def _arguments(params: Params) -> list[Any]:
    # SQLite stores a bool as 1 or 0 in the same INTEGER columns; asyncpg wants the integer itself.
    return [int(value) if isinstance(value, bool) else value for value in params]


async def _keep_session(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    """What the pool runs on a connection coming back, after rolling back any transaction left open: nothing.

    asyncpg's default also resets session settings, listeners, cursors and session locks, a round trip per
    statement; the store leaves none of them behind (the migration lock is released where it is taken).
    """


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as 'UPDATE 3' or 'INSERT 0 1'."""
    match = _COUNT.search(status)
    return int(match.group(1)) if match else 0


class PostgresDatabase(Database):
    """A pool of connections: a transaction holds one for its task; any other statement borrows one."""

    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str, *, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self._pool = pool
        self._where = display_database_url(url)
        self._owners: dict[asyncio.Task[Any] | None, Connection] = {}
        self._locks_held: dict[asyncio.Task[Any] | None, set[int]] = {}  # by the task's open transaction

    @classmethod
    async def open(cls, url: str, *, clock: Clock = utc_now, pool_size: int = POOL_SIZE) -> PostgresDatabase:
        """Connect (at least one connection, so a wrong URL or password fails here, not at first use)."""
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, reset=_keep_session, server_settings={"application_name": "videobot"}
        )
        return cls(pool, url, clock=clock)

    async def close(self) -> None:
        await self._pool.close()

    async def describe(self) -> str:
        version = str(await self.fetch_value("SHOW server_version")).split()[0]
        return f"PostgreSQL {version} at {self._where}"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task in self._owners:
            yield
            return
        async with self._pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            self._owners[task], self._locks_held[task] = conn, set()
            try:
                yield
            except BaseException:
                # Also when cancelled mid-statement: asyncpg has the server cancel it first, then rolls back.
                await transaction.rollback()
                raise
            else:
                await transaction.commit()
            finally:
                del self._owners[task], self._locks_held[task]

    def in_transaction(self) -> bool:
        # By task, as on SQLite: a task started inside a transaction gets its own connection, not this one.
        return asyncio.current_task() in self._owners

    async def lock(self, *name: object) -> None:
        task = asyncio.current_task()
        held = self._locks_held.get(task)
        key = lock_key(*name)
        if held is None or key in held:
            return  # outside a transaction, or already ours until it ends: no round trip
        # A statement of its own: the reads that follow take their snapshot after the wait, so they see
        # what the previous holder committed (READ COMMITTED).
        await self.execute("SELECT pg_advisory_xact_lock(?)", (key,))
        held.add(key)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        own = self._owners.get(asyncio.current_task())
        if own is not None:
            yield own
        else:
            async with self._pool.acquire() as conn:
                yield conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as conn:
            return _changed(await conn.execute(numbered_placeholders(sql), *_arguments(params)))

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._connection() as conn:
            row_id = await conn.fetchval(numbered_placeholders(sql) + " RETURNING id", *_arguments(params))
            return int(row_id)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._connection() as conn:
            row: Row | None = await conn.fetchrow(numbered_placeholders(sql), *_arguments(params))
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection() as conn:
            return list(await conn.fetch(numbered_placeholders(sql), *_arguments(params)))

    async def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Bulk-load rows with COPY (inside the current transaction, if any): for moving a database in."""
        async with self._connection() as conn:
            await conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def has_table(self, name: str) -> bool:
        return bool(
            await self.fetch_value(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
                (name,),
            )
        )

    async def _apply_pending(self, migrations: list[Migration]) -> list[int]:
        applied: list[int] = []
        async with self._pool.acquire() as conn:
            # A second process starting at the same moment waits here, then finds every version recorded.
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(MIGRATIONS_TABLE)
                current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                for migration in migrations:
                    if migration.version <= current:
                        continue
                    try:
                        async with conn.transaction():
                            await conn.execute(migration.sql)
                            await conn.execute(
                                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                                migration.version, migration.name, self.now(),
                            )
                    except asyncpg.PostgresError as exc:
                        raise MigrationError(f"migration {migration.name} failed and was rolled back: {exc}") from exc
                    applied.append(migration.version)
            finally:
                try:
                    await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
                except BaseException:
                    conn.terminate()  # the pool does not reset sessions: one still holding the lock must not return
                    raise
        return applied
