"""Read-only figures over the job table for status views: what is under way, and how recent jobs ended.

The job table is shared by every process on the database, so these figures are the whole bot's, not one
process's, and they survive restarts: nothing is kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.database import Database, at, from_epoch, to_epoch
from bot.store.models import JobStatus

ENDED_LIMIT = 10_000  # the newest ended jobs read for one view: plenty for an hour, bounded for a busy bot


@dataclass(frozen=True, slots=True)
class UnderWay:
    """Jobs generating and jobs waiting for a place, in one server or in all."""

    running: int
    waiting: int


@dataclass(frozen=True, slots=True)
class EndedJob:
    """How one job ended, as much as a health figure needs."""

    status: JobStatus
    error_kind: str | None
    started_at: datetime | None
    created_at: datetime
    finished_at: datetime


class JobStatsRepo:
    """Counts and recent outcomes of jobs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def under_way(self, guild_id: int | None = None) -> UnderWay:
        """Running and queued jobs of one server, or (None) of every server."""
        where, params = "status IN ('queued', 'running')", []
        if guild_id is not None:
            where, params = where + " AND guild_id = ?", [guild_id]
        rows = await self._db.fetch_all(f"SELECT status, COUNT(*) AS n FROM jobs WHERE {where} GROUP BY status", params)
        counts = {r["status"]: int(r["n"]) for r in rows}
        return UnderWay(running=counts.get("running", 0), waiting=counts.get("queued", 0))

    async def ended_since(self, since: datetime) -> list[EndedJob]:
        """Jobs that ended at or after `since`, newest first (at most ENDED_LIMIT)."""
        rows = await self._db.fetch_all(
            "SELECT status, error_kind, started_at, created_at, finished_at FROM jobs"
            " WHERE finished_at >= ? ORDER BY finished_at DESC, id DESC LIMIT ?",
            (to_epoch(since), ENDED_LIMIT),
        )
        return [
            EndedJob(JobStatus(r["status"]), r["error_kind"], from_epoch(r["started_at"]), at(r["created_at"]),
                     at(r["finished_at"]))
            for r in rows
        ]

    async def servers_with_jobs(self, since: datetime) -> int:
        """How many servers asked for a video since `since`."""
        return int(await self._db.fetch_value(
            "SELECT COUNT(DISTINCT guild_id) FROM jobs WHERE created_at >= ?", (to_epoch(since),)
        ))
