"""/videobot status: what runs and waits (here and everywhere), this server's quota, the vendor's health in the
last hour, what was spent, the server's own key, and, for the bot's owner, every server's totals.

One call per request; the server's settings are read once and passed down. What only the Discord side knows
(the shard, the upload limit, how many servers are connected) comes in as `Where`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from typing import Final

from bot.core.config import Settings
from bot.quotas.keys import KeyStatus, ServerKeys
from bot.quotas.moderation import LimitSpec
from bot.quotas.policy import EffectiveLimit, Member, period_end, period_start, resolve_limit
from bot.quotas.spending import Spending, SpendReport
from bot.store import GuildSettings, Store, UnderWay
from bot.views.health import VendorHealth, vendor_health

HEALTH_WINDOW: Final = timedelta(hours=1)


def bot_version() -> str:
    """The installed package's version ('unknown' when run from a source tree that was never installed)."""
    try:
        return metadata.version("videobot")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Where:
    """What the Discord side knows about the request: the server's shard, its live upload limit, this process."""

    guild_id: int
    shard_id: int
    shard_count: int
    upload_limit: int  # bytes: the interaction's attachment_size_limit, this server's limit right now
    started_at: datetime  # when this process started
    servers_here: int  # servers this process is connected to (its shards')


@dataclass(frozen=True, slots=True)
class YourQuota:
    """The asking moderator's own limit and what is left of it, and the server default behind it."""

    limit: EffectiveLimit
    used: int
    resets_at: datetime
    server_default: LimitSpec | None
    bot_default: LimitSpec

    @property
    def left(self) -> int | None:
        return None if self.limit.units is None else max(0, self.limit.units - self.used)


@dataclass(frozen=True, slots=True)
class OwnerTotals:
    """Every server together, for the bot's owner."""

    servers_connected: int  # to this process
    servers_active_today: int  # that asked for a video today, in every process
    spent_today: SpendReport


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """Everything /videobot status shows, as plain data."""

    where: Where
    version: str
    now: datetime
    here: UnderWay
    everywhere: UnderWay
    server_cap: int  # videos generating at once in this server
    bot_cap: int
    health: VendorHealth
    quota: YourQuota
    spent: SpendReport  # this server, over the server default's period
    spent_period: str
    key: KeyStatus
    owner: OwnerTotals | None = None


class StatusView:
    """Assembles /videobot status from the store: a read, never a change."""

    def __init__(self, store: Store, settings: Settings, keys: ServerKeys, spending: Spending) -> None:
        self._store = store
        self._settings = settings
        self._keys = keys
        self._spending = spending

    async def status(self, where: Where, asker: Member, *, owner: bool = False) -> ServerStatus:
        """The status of `where.guild_id` for a moderator; with `owner`, every server's totals too."""
        store, guild_id = self._store, where.guild_id
        now = store.db.clock()
        guild = await store.settings.get(guild_id)  # once, for everything below
        quota = await self._quota(guild, asker, now)
        period = (quota.server_default or quota.bot_default).period
        return ServerStatus(
            where=where,
            version=bot_version(),
            now=now,
            here=await store.job_stats.under_way(guild_id),
            everywhere=await store.job_stats.under_way(),
            server_cap=guild.max_jobs_per_guild or self._settings.max_jobs_per_guild,
            bot_cap=self._settings.max_jobs_global,
            health=vendor_health(await store.job_stats.ended_since(now - HEALTH_WINDOW)),
            quota=quota,
            spent=await self._spending.of_server(guild_id, period_start(period, now)),
            spent_period=period,
            key=await self._keys.status(guild_id),
            owner=await self._owner_totals(where, now) if owner else None,
        )

    async def _quota(self, guild: GuildSettings, asker: Member, now: datetime) -> YourQuota:
        policies = await self._store.quotas.policies(guild.guild_id)
        settings = self._settings
        limit = resolve_limit(
            asker, policies, moderators_exempt=guild.moderators_exempt,
            default_units=settings.default_quota_units, default_period=settings.default_quota_period,
            default_concurrent=guild.max_jobs_per_user or settings.max_jobs_per_user,
        )
        used = await self._store.quotas.used_since(guild.guild_id, asker.user_id, period_start(limit.period, now))
        server = next((p for p in policies if p.scope == "guild"), None)
        return YourQuota(
            limit=limit, used=used, resets_at=period_end(limit.period, now), server_default=LimitSpec.of(server),
            bot_default=LimitSpec(settings.default_quota_units, settings.default_quota_period),
        )

    async def _owner_totals(self, where: Where, now: datetime) -> OwnerTotals:
        today = period_start("day", now)
        return OwnerTotals(
            servers_connected=where.servers_here,
            servers_active_today=await self._store.job_stats.servers_with_jobs(today),
            spent_today=await self._spending.of_all_servers(today),
        )
