"""Job leases: which process runs which job, kept alive by a heartbeat, so a dead process's jobs go to another.

A lease is two columns of `jobs`: `owner` (an ID the process chose at start, unique to that run) and
`heartbeat_at`. The states of an unfinished job:

- no owner: just admitted; its process claims it (`claim`, or `start` when it begins generating). If that
  process dies first, the job is adoptable once `created_at` is older than the grace period.
- owner and heartbeat: held. The owner calls `renew` well within the grace period (every third of it, say);
  whatever `renew` no longer returns was adopted by another process while this one stalled, and this one must
  stop working on it (without ending it).
- owner, no heartbeat: released by a clean shutdown (`release`); adoptable at once.
- let go (`let_go`) by a process that could not run it: no owner again, adoptable as an unclaimed job is.

`adopt_expired` hands the adoptable jobs to the caller in one statement whose conditions are checked again on
each row as it is updated, so two processes adopting at the same moment never take the same job.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from bot.store.database import Database
from bot.store.jobs import job_from_row
from bot.store.models import Job, LeaseStart

_UNFINISHED = "status IN ('queued', 'running')"
# Not ours, and either never claimed and older than the grace period, released, or silent too long.
_ADOPTABLE = (
    f"{_UNFINISHED} AND (owner IS NULL OR owner <> ?)"
    " AND ((owner IS NULL AND created_at < ?) OR (owner IS NOT NULL AND (heartbeat_at IS NULL OR heartbeat_at < ?)))"
)
_OURS_TO_TAKE = f"{_UNFINISHED} AND (owner IS NULL OR owner = ?)"


class Leases:
    """Claim, renew, release and adopt jobs; start one only within the caps counted across all processes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, job_id: int, owner: str) -> bool:
        """Take an unfinished job nobody holds (or renew our own); False if it ended or another process holds it."""
        now = self._db.now()
        changed = await self._db.execute(
            f"UPDATE jobs SET owner = ?, heartbeat_at = ? WHERE id = ? AND {_OURS_TO_TAKE}",
            (owner, now, job_id, owner),
        )
        return changed == 1

    async def start(
        self, job_id: int, owner: str, *, max_total: int, max_per_server: int, max_per_member: int
    ) -> LeaseStart:
        """Mark a job running and hold its lease, if the videos generating in every process leave room.

        One transaction under one lock for all starts, so two processes cannot both take the last place. The
        job itself does not count against the caps (it may already be running, when resumed or adopted).
        """
        async with self._db.transaction():
            await self._db.lock("generating")
            job = await self._db.fetch_one(
                f"SELECT guild_id, user_id FROM jobs WHERE id = ? AND {_OURS_TO_TAKE}", (job_id, owner)
            )
            if job is None:
                return LeaseStart(started=False)
            guild_id, user_id = job["guild_id"], job["user_id"]
            counts = await self._db.fetch_one(
                "SELECT COUNT(*),"
                " COALESCE(SUM(CASE WHEN guild_id = ? THEN 1 ELSE 0 END), 0),"
                " COALESCE(SUM(CASE WHEN guild_id = ? AND user_id = ? THEN 1 ELSE 0 END), 0)"
                " FROM jobs WHERE status = 'running' AND id <> ?",
                (guild_id, guild_id, user_id, job_id),
            )
            assert counts is not None
            total, in_server, of_member = int(counts[0]), int(counts[1]), int(counts[2])
            if of_member >= max_per_member:
                return LeaseStart(started=False, full="member")
            if in_server >= max_per_server:
                return LeaseStart(started=False, full="server")
            if total >= max_total:
                return LeaseStart(started=False, full="bot")
            now = self._db.now()
            # Checked again: an adopter does not take the "generating" lock, and may have taken the job meanwhile.
            changed = await self._db.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, ?),"
                f" owner = ?, heartbeat_at = ? WHERE id = ? AND {_OURS_TO_TAKE}",
                (now, owner, now, job_id, owner),
            )
            return LeaseStart(started=changed == 1)

    async def renew(self, owner: str) -> set[int]:
        """Heartbeat every unfinished job this process holds; return their ids (a job missing was lost)."""
        rows = await self._db.fetch_all(
            f"UPDATE jobs SET heartbeat_at = ? WHERE owner = ? AND {_UNFINISHED} RETURNING id",
            (self._db.now(), owner),
        )
        return {int(row[0]) for row in rows}

    async def cancelled(self, owner: str) -> set[int]:
        """The unfinished jobs this process holds whose Cancel was recorded, wherever it was pressed (a server's
        buttons reach the process of its shard, which may not be the one running the job)."""
        rows = await self._db.fetch_all(
            f"SELECT id FROM jobs WHERE owner = ? AND {_UNFINISHED} AND cancel_requested_by IS NOT NULL", (owner,)
        )
        return {int(row[0]) for row in rows}

    async def let_go(self, job_id: int, owner: str) -> bool:
        """Give up one job this process holds but could not run (its take-over or its task failed): nobody holds
        it now, so an adoption by any process (this one too) takes it again once it is older than the grace."""
        changed = await self._db.execute(
            f"UPDATE jobs SET owner = NULL, heartbeat_at = NULL WHERE id = ? AND owner = ? AND {_UNFINISHED}",
            (job_id, owner),
        )
        return changed == 1

    async def release(self, owner: str) -> int:
        """On a clean shutdown: let another process adopt this one's unfinished jobs at once; returns how many."""
        return await self._db.execute(
            f"UPDATE jobs SET heartbeat_at = NULL WHERE owner = ? AND {_UNFINISHED}", (owner,)
        )

    async def any_released(self) -> bool:
        """Whether some unfinished job was released by a clean shutdown and waits for a process to adopt it."""
        row = await self._db.fetch_one(
            f"SELECT 1 FROM jobs WHERE {_UNFINISHED} AND owner IS NOT NULL AND heartbeat_at IS NULL LIMIT 1", ()
        )
        return row is not None

    async def holders(self) -> set[str]:
        """The owners holding unfinished jobs by a heartbeat (released and unclaimed jobs have none)."""
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT owner FROM jobs WHERE {_UNFINISHED} AND owner IS NOT NULL AND heartbeat_at IS NOT NULL",
            (),
        )
        return {str(row[0]) for row in rows}

    async def adopt_expired(
        self,
        owner: str,
        *,
        grace: timedelta,
        shard_count: int = 1,
        shard_ids: Collection[int] = (0,),
        limit: int = 100,
    ) -> list[Job]:
        """Take up to `limit` unfinished jobs whose lease lapsed (silent longer than `grace`, released, or never
        claimed within `grace`), oldest first, only in servers of `shard_ids` (Discord's
        `(guild_id >> 22) % shard_count`); return them as now held by `owner`."""
        if not shard_ids:
            return []
        now = self._db.now()
        cutoff = now - int(grace.total_seconds())
        shards = ", ".join("?" for _ in shard_ids)
        # The conditions are in the UPDATE itself, not only in the sub-select: PostgreSQL re-checks them on a
        # row another adopter changed meanwhile (and then skips it); SQLite runs one writer at a time anyway.
        rows = await self._db.fetch_all(
            f"UPDATE jobs SET owner = ?, heartbeat_at = ? WHERE {_ADOPTABLE} AND id IN ("
            f" SELECT id FROM jobs WHERE {_ADOPTABLE} AND ((guild_id >> 22) % ?) IN ({shards})"
            " ORDER BY id LIMIT ?) RETURNING *",
            (owner, now, owner, cutoff, cutoff, owner, cutoff, cutoff, shard_count, *shard_ids, limit),
        )
        return sorted((job_from_row(row) for row in rows), key=lambda job: job.id)
