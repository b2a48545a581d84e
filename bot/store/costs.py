"""What each job costs in money, fixed at admission, and what a server (or every server) spent in a period.

Spend follows the usage ledger: a job counts while its units are charged (a refunded job, which made no video
for the member, costs the server nothing here), forgiven charges included (they were spent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.money import Money
from bot.store.database import Database, to_epoch


@dataclass(frozen=True, slots=True)
class JobCost:
    """One job's price, and whether its server paid with its own key."""

    job_id: int
    money: Money
    own_key: bool


@dataclass(frozen=True, slots=True)
class Spend:
    """Money spent in one currency: in all, and the part paid with the servers' own keys."""

    money: Money
    own_key: Money
    videos: int


@dataclass(frozen=True, slots=True)
class MemberSpend:
    """What one member's videos cost in a period, in one currency."""

    user_id: int
    money: Money


_CHARGED = "FROM usage u JOIN job_costs c ON c.job_id = u.job_id WHERE u.created_at >= ? AND u.refunded_at IS NULL"


class JobCostsRepo:
    """Prices of jobs, and spend per period."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, job_id: int, guild_id: int, money: Money, *, own_key: bool) -> None:
        """Fix a job's price (once: a resumed admission changes nothing)."""
        await self._db.execute(
            "INSERT INTO job_costs (job_id, guild_id, price_micros, currency, own_key) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (job_id) DO NOTHING",
            (job_id, guild_id, money.micros, money.currency, int(own_key)),
        )

    async def of_job(self, job_id: int) -> JobCost | None:
        """A job's price, or None when its model had none."""
        row = await self._db.fetch_one("SELECT * FROM job_costs WHERE job_id = ?", (job_id,))
        if row is None:
            return None
        return JobCost(row["job_id"], Money(row["price_micros"], row["currency"]), bool(row["own_key"]))

    async def spent(self, since: datetime, guild_id: int | None = None) -> list[Spend]:
        """Money spent since `since`, per currency, by one server or (None) by every server."""
        where, params = _CHARGED, [to_epoch(since)]
        if guild_id is not None:
            where, params = where + " AND u.guild_id = ?", [*params, guild_id]
        rows = await self._db.fetch_all(
            "SELECT c.currency AS currency, SUM(c.price_micros) AS micros, COUNT(*) AS videos,"
            f" SUM(CASE WHEN c.own_key = 1 THEN c.price_micros ELSE 0 END) AS own {where}"
            " GROUP BY c.currency ORDER BY c.currency",
            params,
        )
        return [
            Spend(Money(int(r["micros"]), r["currency"]), Money(int(r["own"]), r["currency"]), int(r["videos"]))
            for r in rows
        ]

    async def unpriced(self, since: datetime, guild_id: int) -> int:
        """Videos charged since `since` whose model had no price (their cost is unknown)."""
        return int(await self._db.fetch_value(
            "SELECT COUNT(*) FROM usage u LEFT JOIN job_costs c ON c.job_id = u.job_id"
            " WHERE u.guild_id = ? AND u.created_at >= ? AND u.refunded_at IS NULL AND c.job_id IS NULL",
            (guild_id, to_epoch(since)),
        ))

    async def by_member(self, guild_id: int, since: datetime, user_ids: list[int]) -> list[MemberSpend]:
        """What each of these members' videos cost since `since` (members with priced videos only)."""
        if not user_ids:
            return []
        marks = ", ".join("?" for _ in user_ids)
        rows = await self._db.fetch_all(
            "SELECT u.user_id AS user_id, c.currency AS currency, SUM(c.price_micros) AS micros"
            f" {_CHARGED} AND u.guild_id = ? AND u.user_id IN ({marks})"
            " GROUP BY u.user_id, c.currency ORDER BY u.user_id",
            (to_epoch(since), guild_id, *user_ids),
        )
        return [MemberSpend(r["user_id"], Money(int(r["micros"]), r["currency"])) for r in rows]
