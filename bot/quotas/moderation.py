"""The moderators' operations behind /quota and /videobot settings.

Each change is applied and written to the audit log (who, what, before, after) in one transaction, and
returns a small result that says what it was before and after. Nothing here knows Discord.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Final

from bot.core.config import Settings
from bot.core.errors import BotError
from bot.core.periods import Period
from bot.quotas.admission import QuotaService
from bot.quotas.policy import EffectiveLimit, Member, period_end, period_start
from bot.store import GuildSettings, MemberUsage, QuotaPolicy, Store, UsageTotals
from bot.store.models import Scope

# The settings /videobot settings may change (allowed channels are changed one channel at a time).
SETTING_FIELDS: Final[tuple[str, ...]] = (
    "default_model",
    "plain_messages_remix",
    "moderators_exempt",
    "mod_log_channel_id",
    "cooldown_seconds",
    "max_jobs_per_user",
    "max_jobs_per_guild",
)
TOP_LIMIT: Final = 10


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a limit is for: the whole server, a role or one member."""

    scope: Scope
    id: int

    def as_json(self) -> dict[str, Any]:
        """How the audit log records it."""
        return {"scope": self.scope, "id": self.id}


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """A limit as moderators state it: units per period, optionally how many at once."""

    units: int
    period: Period
    at_once: int | None = None

    @classmethod
    def of(cls, policy: QuotaPolicy | None) -> LimitSpec | None:
        """The spec of a stored policy (None stays None)."""
        return None if policy is None else cls(policy.max_units, policy.period, policy.max_concurrent)


@dataclass(frozen=True, slots=True)
class LimitChange:
    """/quota set or clear: the target's own limit before and after."""

    target: Target
    before: LimitSpec | None
    after: LimitSpec | None

    @property
    def changed(self) -> bool:
        """Whether anything differs (a no-op is neither audited nor logged)."""
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class UsageReset:
    """/quota reset: what counted against the member's limit this period, before and after."""

    user_id: int
    period: Period
    before: int
    after: int = 0


@dataclass(frozen=True, slots=True)
class CostChange:
    """/quota cost: units per generation of a model, before and after."""

    model: str
    before: int
    after: int

    @property
    def changed(self) -> bool:
        """Whether anything differs (a no-op is neither audited nor logged)."""
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """/videobot settings: the server's settings before and after."""

    before: GuildSettings
    after: GuildSettings

    @property
    def changed_fields(self) -> list[str]:
        """Names of the settings that differ, in display order."""
        names = ["allowed_channel_ids", *SETTING_FIELDS]
        return [n for n in names if getattr(self.before, n) != getattr(self.after, n)]


@dataclass(frozen=True, slots=True)
class SettingsEdit:
    """/videobot settings as a moderator gave it: None means "not given"."""

    allow_channel: int | None = None
    disallow_channel: int | None = None
    default_model: str | None = None
    plain_messages_remix: bool | None = None
    moderators_exempt: bool | None = None
    mod_log_channel: int | None = None
    mod_log_off: bool | None = None
    cooldown_seconds: int | None = None
    max_videos_per_member: int | None = None  # 0: back to the bot's default
    max_videos_per_server: int | None = None  # 0: back to the bot's default

    @property
    def is_empty(self) -> bool:
        """Nothing given: the moderator asked to see the settings."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def changes(self) -> dict[str, Any]:
        """The stored settings this edit changes (allowed channels change one at a time, separately)."""
        if self.mod_log_channel is not None and self.mod_log_off:
            raise BotError("Pick a moderator log channel or turn the log off, not both.")
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("default_model", self.default_model),
                ("plain_messages_remix", self.plain_messages_remix),
                ("moderators_exempt", self.moderators_exempt),
                ("cooldown_seconds", self.cooldown_seconds),
            )
            if value is not None
        }
        for name, value in (("max_jobs_per_user", self.max_videos_per_member),
                            ("max_jobs_per_guild", self.max_videos_per_server)):
            if value is not None:
                changes[name] = value or None  # 0: no limit of the server's own
        if self.mod_log_channel is not None:
            changes["mod_log_channel_id"] = self.mod_log_channel
        elif self.mod_log_off:
            changes["mod_log_channel_id"] = None
        return changes


@dataclass(frozen=True, slots=True)
class Explanation:
    """/quota show: a member's effective limit, where it comes from, and what they used."""

    member_id: int
    limit: EffectiveLimit
    server_default: LimitSpec | None
    bot_default: LimitSpec
    used: int
    moderators_exempt: bool


@dataclass(frozen=True, slots=True)
class UsageBoard:
    """/quota top: who spent the most in a period, and the server's totals."""

    period: Period
    since: datetime
    resets_at: datetime
    top: list[MemberUsage]
    totals: UsageTotals
    # Videos that ended without one in the period, by what the vendor likely billed for them
    # (billed | maybe_billed | not_billed): members were refunded; this is the operator's cost.
    failures: dict[str, int] = field(default_factory=dict)


class Moderation:
    """Quota and settings changes made inside Discord, each one audited."""

    def __init__(self, store: Store, quotas: QuotaService, settings: Settings) -> None:
        self._store = store
        self._quotas = quotas
        self._settings = settings

    def _now(self) -> datetime:
        return self._store.db.clock()

    @property
    def bot_default(self) -> LimitSpec:
        """The limit of a server that set none, from the bot's configuration."""
        return LimitSpec(self._settings.default_quota_units, self._settings.default_quota_period)

    async def server_default(self, guild_id: int) -> LimitSpec | None:
        """The server-wide limit moderators set, if any."""
        return LimitSpec.of(await self._store.quotas.policy(guild_id, "guild", guild_id))

    # --- limits -----------------------------------------------------------------------------------

    async def set_limit(
        self, guild_id: int, actor_id: int, target: Target, *, units: int, period: Period | None, at_once: int | None
    ) -> LimitChange:
        """Set the limit of the server, a role or a member; an omitted period or at-once keeps the current one."""
        async with self._store.transaction():
            before = LimitSpec.of(await self._store.quotas.policy(guild_id, target.scope, target.id))
            if period is None:
                # Keep the target's period; a new role or member limit follows the server's rhythm.
                server = await self.server_default(guild_id)
                period = (before or server or self.bot_default).period
            after = LimitSpec(units, period, at_once if at_once is not None else (before.at_once if before else None))
            change = LimitChange(target, before, after)
            if change.changed:
                await self._store.quotas.set_policy(
                    guild_id=guild_id, scope=target.scope, target_id=target.id, period=after.period,
                    max_units=after.units, max_concurrent=after.at_once, updated_by=actor_id,
                )
                await self._audit(
                    guild_id, actor_id, "quota.set", target=target.as_json(), before=_json(before), after=_json(after)
                )
        return change

    async def clear_limit(self, guild_id: int, actor_id: int, target: Target) -> LimitChange:
        """Remove the limit of the server, a role or a member; BotError if there was none."""
        async with self._store.transaction():
            before = LimitSpec.of(await self._store.quotas.policy(guild_id, target.scope, target.id))
            if before is None:
                raise BotError(_NOTHING_SET[target.scope])
            await self._store.quotas.clear_policy(guild_id, target.scope, target.id)
            await self._audit(
                guild_id, actor_id, "quota.clear", target=target.as_json(), before=_json(before), after=None
            )
        return LimitChange(target, before, None)

    async def explain(self, guild_id: int, member: Member) -> Explanation:
        """The member's effective limit, which policy gave it, and what counts against it now."""
        report = await self._quotas.usage(guild_id, member)
        guild = await self._store.settings.get(guild_id)
        return Explanation(
            member_id=member.user_id,
            limit=report.limit,
            server_default=await self.server_default(guild_id),
            bot_default=self.bot_default,
            used=report.used,
            moderators_exempt=guild.moderators_exempt,
        )

    async def policies(self, guild_id: int) -> list[tuple[Target, LimitSpec]]:
        """Every limit the server has set: the server default first, then roles, then members."""
        order = {"guild": 0, "role": 1, "user": 2}
        found = sorted(await self._store.quotas.policies(guild_id), key=lambda p: (order[p.scope], p.target_id))
        return [(Target(p.scope, p.target_id), LimitSpec(p.max_units, p.period, p.max_concurrent)) for p in found]

    # --- usage ------------------------------------------------------------------------------------

    async def reset_usage(self, guild_id: int, actor_id: int, member: Member) -> UsageReset:
        """Let what the member used in their current period stop counting (a forgiveness, not a refund)."""
        limit = await self._quotas.effective_limit(guild_id, member)
        since = period_start(limit.period, self._now())
        async with self._store.transaction():
            forgiven = await self._store.quotas.forgive(
                guild_id=guild_id, user_id=member.user_id, since=since, by=actor_id
            )
            if forgiven:
                await self._audit(
                    guild_id, actor_id, "quota.reset", target={"scope": "user", "id": member.user_id},
                    before={"used": forgiven, "period": limit.period}, after={"used": 0, "period": limit.period},
                )
        return UsageReset(member.user_id, limit.period, forgiven)

    async def top(self, guild_id: int, period: Period | None = None) -> UsageBoard:
        """The period's biggest spenders and the server's totals (default period: the server default's)."""
        if period is None:
            period = (await self.server_default(guild_id) or self.bot_default).period
        now = self._now()
        since = period_start(period, now)
        return UsageBoard(
            period=period,
            since=since,
            resets_at=period_end(period, now),
            top=await self._store.quotas.top_spenders(guild_id, since, TOP_LIMIT),
            totals=await self._store.quotas.totals(guild_id, since),
            failures=await self._store.jobs.vendor_billing(guild_id, since),
        )

    async def set_cost(self, guild_id: int, actor_id: int, model: str, units: int) -> CostChange:
        """Set how many units one generation with `model` costs in this server."""
        if model not in self._settings.models:
            raise BotError(f"This bot doesn't offer {model}.")
        async with self._store.transaction():
            change = CostChange(model, await self._store.quotas.model_cost(guild_id, model), units)
            if change.changed:
                await self._store.quotas.set_model_cost(guild_id, model, units)
                await self._audit(
                    guild_id, actor_id, "quota.cost", target={"model": model},
                    before={"units": change.before}, after={"units": units},
                )
        return change

    # --- settings ---------------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> GuildSettings:
        """The server's settings as they are."""
        return await self._store.settings.get(guild_id)

    async def edit_settings(self, guild_id: int, actor_id: int, edit: SettingsEdit) -> SettingsChange:
        """Apply a /videobot settings edit (see SettingsEdit) and audit what changed."""
        return await self.change_settings(
            guild_id, actor_id, edit.changes(), allow_channel=edit.allow_channel, disallow_channel=edit.disallow_channel
        )

    async def change_settings(
        self,
        guild_id: int,
        actor_id: int,
        changes: Mapping[str, Any],
        *,
        allow_channel: int | None = None,
        disallow_channel: int | None = None,
    ) -> SettingsChange:
        """Apply the settings named in `changes` (None resets a setting to the bot's default) and audit them."""
        unknown = set(changes) - set(SETTING_FIELDS)
        if unknown:
            raise TypeError(f"not a setting moderators change: {', '.join(sorted(unknown))}")
        model = changes.get("default_model")
        if model is not None and model not in self._settings.models:
            raise BotError(f"This bot doesn't offer {model}.")
        async with self._store.transaction():
            before = await self._store.settings.get(guild_id)
            if allow_channel is not None:
                await self._store.settings.allow_channel(guild_id, allow_channel)
            if disallow_channel is not None:
                await self._store.settings.disallow_channel(guild_id, disallow_channel)
            if changes:
                await self._store.settings.update(guild_id, **changes)
            change = SettingsChange(before, await self._store.settings.get(guild_id))
            names = change.changed_fields
            if names:
                await self._audit(
                    guild_id, actor_id, "settings.change", target="settings",
                    before={n: _plain(getattr(before, n)) for n in names},
                    after={n: _plain(getattr(change.after, n)) for n in names},
                )
        return change

    async def _audit(
        self, guild_id: int, actor_id: int, action: str, *, target: Any, before: Any, after: Any
    ) -> None:
        await self._store.audit.record(
            guild_id=guild_id, actor_id=actor_id, action=action,
            details={"target": target, "before": before, "after": after},
        )


_NOTHING_SET: Final[dict[str, str]] = {
    "guild": "This server has no default limit to clear; the bot's default applies.",
    "role": "That role has no limit to clear.",
    "user": "That member has no limit of their own to clear.",
}


def _json(spec: LimitSpec | None) -> dict[str, Any] | None:
    return None if spec is None else asdict(spec)


def _plain(value: Any) -> Any:
    # frozensets (allowed channels) are not JSON; a sorted list reads well in the audit log.
    return sorted(value) if isinstance(value, frozenset) else value

