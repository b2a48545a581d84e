"""The only place SQL lives: a Database plus one repository per part of the data model."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.core.config import DATABASE_URL_SCHEMES, Settings
from bot.store.app_state import AppState
from bot.store.audit import AuditLog
from bot.store.conversations import Conversations
from bot.store.costs import JobCost, JobCostsRepo, MemberSpend, Spend
from bot.store.database import Clock, Database, utc_now
from bot.store.job_stats import EndedJob, JobStatsRepo, UnderWay
from bot.store.jobs import Jobs
from bot.store.leases import Leases
from bot.store.library import LibraryRepo, LibrarySettings, LibraryVideo
from bot.store.models import (
    AuditEntry,
    Conversation,
    GuildSettings,
    Job,
    JobParams,
    JobStatus,
    LeaseStart,
    MemberUsage,
    ModlogPost,
    QuotaPolicy,
    Reservation,
    Shown,
    Turn,
    UsageEntry,
    UsageTotals,
)
from bot.store.modlog import ModlogPosts
from bot.store.postgres import PostgresDatabase
from bot.store.quotas import Quotas
from bot.store.schema import Migration, MigrationError, load_migrations
from bot.store.server_keys import SealedKey, ServerKeysRepo
from bot.store.settings import GuildSettingsRepo
from bot.store.sharers import RestSharers, Sharer
from bot.store.sqlite import SqliteDatabase

log = logging.getLogger(__name__)


def is_database_url(target: Path | str) -> bool:
    """Whether `target` names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and target.split("://", 1)[0] in DATABASE_URL_SCHEMES


async def open_database(target: Path | str, *, clock: Clock = utc_now) -> Database:
    """A `postgresql://` URL opens PostgreSQL; anything else is the path of a SQLite file."""
    if is_database_url(target):
        return await PostgresDatabase.open(str(target), clock=clock)
    return await SqliteDatabase.open(target, clock=clock)


class Store:
    """The database and its repositories, opened and closed as one resource."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conversations = Conversations(db)
        self.jobs = Jobs(db)
        self.quotas = Quotas(db)
        self.audit = AuditLog(db)
        self.settings = GuildSettingsRepo(db)
        self.modlog = ModlogPosts(db)
        self.state = AppState(db)
        self.leases = Leases(db)
        self.rest_sharers = RestSharers(db)
        self.server_keys = ServerKeysRepo(db)
        self.costs = JobCostsRepo(db)
        self.job_stats = JobStatsRepo(db)
        self.library = LibraryRepo(db)

    @classmethod
    async def connect(cls, settings: Settings, *, clock: Clock = utc_now, migrate: bool = True) -> Store:
        """Open the configured database: PostgreSQL when DATABASE_URL is set, else the SQLite file."""
        store = await cls.open(settings.database_url.reveal() or settings.database_path, clock=clock, migrate=migrate)
        try:
            log.info("database: %s, schema version %d", await store.db.describe(), await store.db.schema_version())
        except BaseException:
            await store.close()
            raise
        return store

    @classmethod
    async def open(cls, path: Path | str, *, clock: Clock = utc_now, migrate: bool = True) -> Store:
        """Open a SQLite file (or a `postgresql://` URL) and bring its schema up to date."""
        db = await open_database(path, clock=clock)
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await db.close()
                raise
        return cls(db)

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One unit of work across repositories: all of it commits, or none of it."""
        return self.db.transaction()

    async def close(self) -> None:
        """Release the connection."""
        await self.db.close()


__all__ = [
    "AuditEntry",
    "Conversation",
    "Database",
    "EndedJob",
    "GuildSettings",
    "Job",
    "JobCost",
    "JobParams",
    "JobStatus",
    "LeaseStart",
    "Leases",
    "LibrarySettings",
    "LibraryVideo",
    "MemberSpend",
    "MemberUsage",
    "Migration",
    "MigrationError",
    "ModlogPost",
    "QuotaPolicy",
    "Reservation",
    "RestSharers",
    "SealedKey",
    "Sharer",
    "Shown",
    "Spend",
    "Store",
    "Turn",
    "UnderWay",
    "UsageEntry",
    "UsageTotals",
    "is_database_url",
    "load_migrations",
    "open_database",
]
