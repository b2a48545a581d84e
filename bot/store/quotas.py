"""Quota policies, model costs and the usage ledger, including the atomic reservation."""

from __future__ import annotations

from datetime import datetime

from bot.core.periods import Period
from bot.store.database import Database, Row, at, from_epoch, to_epoch
from bot.store.models import MemberUsage, QuotaPolicy, Reservation, Scope, UsageEntry, UsageTotals


def _policy(row: Row) -> QuotaPolicy:
    return QuotaPolicy(
        id=row["id"],
        guild_id=row["guild_id"],
        scope=row["scope"],
        target_id=row["target_id"],
        period=row["period"],
        max_units=row["max_units"],
        max_concurrent=row["max_concurrent"],
        updated_by=row["updated_by"],
        updated_at=at(row["updated_at"]),
    )


def _usage(row: Row) -> UsageEntry:
    return UsageEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        job_id=row["job_id"],
        units=row["units"],
        created_at=at(row["created_at"]),
        refunded_at=from_epoch(row["refunded_at"]),
        forgiven_at=from_epoch(row["forgiven_at"]),
    )


_USED_SINCE = (
    "SELECT COALESCE(SUM(units), 0) FROM usage"
    " WHERE guild_id = ? AND user_id = ? AND created_at >= ? AND refunded_at IS NULL AND forgiven_at IS NULL"
)
# Spending, as opposed to what counts against a limit: forgiven charges were still spent.
_SPENT = "FROM usage WHERE guild_id = ? AND created_at >= ? AND refunded_at IS NULL"


class Quotas:
    """Who may spend how much, and what has been spent."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- policies -------------------------------------------------------------------------------

    async def policies(self, guild_id: int) -> list[QuotaPolicy]:
        """Every limit a server has set."""
        rows = await self._db.fetch_all(
            "SELECT * FROM quota_policies WHERE guild_id = ? ORDER BY scope, target_id", (guild_id,)
        )
        return [_policy(row) for row in rows]

    async def policy(self, guild_id: int, scope: Scope, target_id: int) -> QuotaPolicy | None:
        """The limit set for exactly this server, role or member, if any (inside a transaction: locks it)."""
        await self._db.lock("policy", guild_id, scope, target_id)
        row = await self._db.fetch_one(
            "SELECT * FROM quota_policies WHERE guild_id = ? AND scope = ? AND target_id = ?",
            (guild_id, scope, target_id),
        )
        return None if row is None else _policy(row)

    async def set_policy(
        self,
        *,
        guild_id: int,
        scope: Scope,
        target_id: int,
        period: Period,
        max_units: int,
        max_concurrent: int | None,
        updated_by: int,
    ) -> QuotaPolicy:
        """Create or replace the limit for a server, role or member."""
        await self._db.execute(
            "INSERT INTO quota_policies (guild_id, scope, target_id, period, max_units, max_concurrent,"
            " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, scope, target_id) DO UPDATE SET period = excluded.period,"
            " max_units = excluded.max_units, max_concurrent = excluded.max_concurrent,"
            " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            (guild_id, scope, target_id, period, max_units, max_concurrent, updated_by, self._db.now()),
        )
        policy = await self.policy(guild_id, scope, target_id)
        assert policy is not None
        return policy

    async def clear_policy(self, guild_id: int, scope: Scope, target_id: int) -> bool:
        """Remove a limit; False if there was none."""
        return (
            await self._db.execute(
                "DELETE FROM quota_policies WHERE guild_id = ? AND scope = ? AND target_id = ?",
                (guild_id, scope, target_id),
            )
            == 1
        )

    # --- model costs ----------------------------------------------------------------------------

    async def model_cost(self, guild_id: int, model: str) -> int:
        """Units one generation with `model` costs in this server (1 unless a moderator changed it).

        Inside a transaction, the cost stays locked until it ends.
        """
        await self._db.lock("cost", guild_id, model)
        value = await self._db.fetch_value(
            "SELECT units FROM model_costs WHERE guild_id = ? AND model = ?", (guild_id, model)
        )
        return 1 if value is None else int(value)

    async def set_model_cost(self, guild_id: int, model: str, units: int) -> None:
        """Set what a model costs in a server."""
        await self._db.execute(
            "INSERT INTO model_costs (guild_id, model, units) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, model) DO UPDATE SET units = excluded.units",
            (guild_id, model, units),
        )

    # --- the ledger -----------------------------------------------------------------------------

    async def reserve(
        self,
        *,
        guild_id: int,
        user_id: int,
        job_id: int,
        units: int,
        since: datetime,
        limit: int | None,
    ) -> Reservation:
        """Charge `units` for `job_id` if the member's usage since `since` stays within `limit`.

        One transaction holding the member's lock, so two concurrent requests for the last unit cannot both
        pass, from any number of processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock).
        A job already charged is not charged again (a resumed job), and counts as granted.
        `limit=None` means unlimited: the charge is still recorded.
        """
        async with self._db.transaction():
            used = await self.used_since(guild_id, user_id, since)
            already = await self._db.fetch_value("SELECT 1 FROM usage WHERE job_id = ?", (job_id,))
            if already:
                return Reservation(granted=True, used=used)
            if limit is not None and used + units > limit:
                return Reservation(granted=False, used=used)
            await self._db.insert(
                "INSERT INTO usage (guild_id, user_id, job_id, units, created_at) VALUES (?, ?, ?, ?, ?)",
                (guild_id, user_id, job_id, units, self._db.now()),
            )
            return Reservation(granted=True, used=used + units)

    async def refund(self, job_id: int) -> bool:
        """Give back what a job was charged (it made no video); False if nothing was charged or it was refunded."""
        return (
            await self._db.execute(
                "UPDATE usage SET refunded_at = ? WHERE job_id = ? AND refunded_at IS NULL",
                (self._db.now(), job_id),
            )
            == 1
        )

    async def used_since(self, guild_id: int, user_id: int, since: datetime) -> int:
        """Units that count against a member's limit since a moment (net of refunds and forgiven charges).

        Inside a transaction, the member stays locked until it ends: a charge decided on this figure is safe.
        """
        await self._db.lock("member", guild_id, user_id)
        return int(await self._db.fetch_value(_USED_SINCE, (guild_id, user_id, to_epoch(since))))

    async def usage_for_job(self, job_id: int) -> UsageEntry | None:
        """The ledger entry of one job."""
        row = await self._db.fetch_one("SELECT * FROM usage WHERE job_id = ?", (job_id,))
        return None if row is None else _usage(row)

    async def forgive(self, *, guild_id: int, user_id: int, since: datetime, by: int) -> int:
        """Stop a member's charges since `since` from counting against their limit; returns the units forgiven.

        Not a refund: the rows stay charged (the videos were made), and reports still count them.
        """
        async with self._db.transaction():
            units = await self.used_since(guild_id, user_id, since)
            await self._db.execute(
                "UPDATE usage SET forgiven_at = ?, forgiven_by = ? WHERE guild_id = ? AND user_id = ?"
                " AND created_at >= ? AND refunded_at IS NULL AND forgiven_at IS NULL",
                (self._db.now(), by, guild_id, user_id, to_epoch(since)),
            )
            return units

    async def top_spenders(self, guild_id: int, since: datetime, limit: int = 10) -> list[MemberUsage]:
        """The members who spent the most units since a moment, most first."""
        rows = await self._db.fetch_all(
            f"SELECT user_id, SUM(units) AS units, COUNT(*) AS videos {_SPENT}"
            " GROUP BY user_id ORDER BY units DESC, videos DESC, user_id LIMIT ?",
            (guild_id, to_epoch(since), limit),
        )
        return [MemberUsage(row["user_id"], int(row["units"]), int(row["videos"])) for row in rows]

    async def totals(self, guild_id: int, since: datetime) -> UsageTotals:
        """Units, videos and distinct members a server spent since a moment."""
        row = await self._db.fetch_one(
            f"SELECT COALESCE(SUM(units), 0), COUNT(*), COUNT(DISTINCT user_id) {_SPENT}",
            (guild_id, to_epoch(since)),
        )
        assert row is not None
        return UsageTotals(units=int(row[0]), videos=int(row[1]), members=int(row[2]))
