"""Spend: turning the units charged into money with the prices fixed at admission, per period and per member,
for /quota reports, the moderator log and the operator's metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.money import Money
from bot.store import Job, JobCost, JobStatus, MemberSpend, Spend, Store


@dataclass(frozen=True, slots=True)
class SpendReport:
    """What a server (or every server) spent since a moment: per currency, and videos of unknown price."""

    since: datetime
    spend: list[Spend]
    unpriced: int = 0


def charged_money(job: Job, cost: JobCost | None) -> Money | None:
    """What a job cost its server once it has ended: its price if it made a video, nothing (None) otherwise,
    because a job without a video is refunded. The operator's metrics add this up as jobs end."""
    if cost is None or job.status is not JobStatus.SUCCEEDED:
        return None
    return cost.money


class Spending:
    """Read-only money figures over the usage ledger and the jobs' fixed prices."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def of_server(self, guild_id: int, since: datetime) -> SpendReport:
        """What one server's videos cost since `since`."""
        costs = self._store.costs
        return SpendReport(since, await costs.spent(since, guild_id), await costs.unpriced(since, guild_id))

    async def of_all_servers(self, since: datetime) -> SpendReport:
        """What every server's videos cost since `since` (the bot owner's view)."""
        return SpendReport(since, await self._store.costs.spent(since))

    async def of_members(self, guild_id: int, since: datetime, user_ids: list[int]) -> list[MemberSpend]:
        """What each of these members' videos cost since `since`."""
        return await self._store.costs.by_member(guild_id, since, user_ids)

    async def of_job(self, job: Job) -> Money | None:
        """What an ended job cost its server (see `charged_money`)."""
        return charged_money(job, await self._store.costs.of_job(job.id))
