"""What the repositories need from a database, whichever engine holds it.

Repositories write SQL once, with `?` placeholders, in the dialect SQLite and PostgreSQL share; the two
backends (bot/store/sqlite.py, bot/store/postgres.py) run it. A transaction belongs to the task that began it:
that task's statements join it, while every other task (even one it started) does not.
"""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from bot.store.schema import Dialect, Migration, load_migrations

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Params = Sequence[Any]


class Row(Protocol):
    """A result row: by column name or by position (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: int | str, /) -> Any: ...


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


def lock_key(*parts: object) -> int:
    """A stable signed 64-bit number for a lock name, the same in every process (unlike `hash`)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Database(ABC):
    """One database, SQLite or PostgreSQL, behind the same few calls."""

    dialect: ClassVar[Dialect]

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self.clock = clock

    def now(self) -> int:
        """The injected clock, as stored."""
        return to_epoch(self.clock())

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """All of the block's statements commit, or none (ROLLBACK if it raises). Nested use joins the outer one."""

    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether the current task holds a transaction."""

    @abstractmethod
    async def lock(self, *name: object) -> None:
        """Until the current transaction ends, keep out every other transaction that locks the same name.

        For a decision read inside a transaction and acted on before it commits (the member's usage before
        charging, the settings before changing one): the equivalent of SELECT … FOR UPDATE, including for rows
        that do not exist yet. Outside a transaction it does nothing.
        """

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT into a table with an `id` column; return the new row's id."""

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @abstractmethod
    async def close(self) -> None:
        """Release every connection; safe to call twice."""

    @abstractmethod
    async def describe(self) -> str:
        """The engine and where the data is, for `--check` and logs (never a password)."""

    # --- migrations -----------------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The highest migration applied, 0 for a blank database."""
        if not await self.has_table("schema_migrations"):
            return 0
        return int(await self.fetch_value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    @abstractmethod
    async def has_table(self, name: str) -> bool:
        """Whether the schema has this table."""

    async def migrate(self, migrations: Iterable[Migration] | None = None) -> list[int]:
        """Apply every migration newer than the recorded version, each atomically, once even when several
        processes start together; return the versions this call applied."""
        pending = list(load_migrations(dialect=self.dialect) if migrations is None else migrations)
        applied = await self._apply_pending(pending)
        for version in applied:
            log.info("applied migration %04d", version)
        return applied

    @abstractmethod
    async def _apply_pending(self, migrations: list[Migration]) -> list[int]:
        """Apply those newer than the version recorded, under a lock no other process can hold at once."""


# Created by `_apply_pending` under its lock: two processes creating it at once could collide.
MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
)
