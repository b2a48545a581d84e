"""The only place SQL lives: a Database plus one repository per part of the data model."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.store.app_state import AppState
from bot.store.audit import AuditLog
from bot.store.conversations import Conversations
from bot.store.database import Clock, Database, Migration, MigrationError, load_migrations, utc_now
from bot.store.jobs import Jobs
from bot.store.models import (
    AuditEntry,
    Conversation,
    GuildSettings,
    Job,
    JobParams,
    JobStatus,
    MemberUsage,
    ModlogPost,
    QuotaPolicy,
    Reservation,
    Turn,
    UsageEntry,
    UsageTotals,
)
from bot.store.modlog import ModlogPosts
from bot.store.quotas import Quotas
from bot.store.settings import GuildSettingsRepo


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

    @classmethod
    async def open(cls, path: Path | str, *, clock: Clock = utc_now, migrate: bool = True) -> Store:
        """Open the database file and bring its schema up to date."""
        db = await Database.open(path, clock=clock)
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
    "GuildSettings",
    "Job",
    "JobParams",
    "JobStatus",
    "MemberUsage",
    "Migration",
    "MigrationError",
    "ModlogPost",
    "QuotaPolicy",
    "Reservation",
    "Store",
    "Turn",
    "UsageEntry",
    "UsageTotals",
    "load_migrations",
]
