"""Pure text for /videobot status (see bot/views/status.py for what it shows and where each figure comes from)."""

from __future__ import annotations

from bot.discord_ui.money_render import spend_words
from bot.discord_ui.render import human_duration, human_size, timestamp
from bot.quotas.keys import KeyStatus
from bot.quotas.policy import PERIOD_WORDS, describe_source
from bot.store import UnderWay
from bot.views.health import VendorHealth
from bot.views.status import OwnerTotals, ServerStatus, YourQuota


def _under_way(counts: UnderWay, cap: int) -> str:
    return f"{counts.running} generating · {counts.waiting} waiting ({cap} at a time)"


def health_words(health: VendorHealth) -> str:
    """`38 made · 2 refused · 1 failed (92 % made) · p50 2 m 10 s · last error: busy (<t:…:R>)`."""
    if not health.answered:
        return "no video ended"
    words = f"{health.made} made · {health.refused} refused · {health.failed} failed ({health.success_percent} % made)"
    if health.p50_seconds is not None:
        words += f" · p50 {human_duration(health.p50_seconds)}"
    if health.last_error_kind is not None and health.last_error_at is not None:
        words += f" · last error: {health.last_error_kind} ({timestamp(health.last_error_at)})"
    return words


def quota_words(quota: YourQuota) -> str:
    """`your quota: 41 of 100 this week · server default: 10 a day (the bot's)`."""
    limit = quota.limit
    when = PERIOD_WORDS[limit.period]
    if limit.units is None:
        yours = f"your quota: unlimited ({describe_source(limit)}) · {quota.used} used {when}"
    else:
        yours = f"your quota: {quota.left} of {limit.units} left {when}, resets {timestamp(quota.resets_at)}"
    server = quota.server_default
    default = (f"{server.units} a {server.period}" if server
               else f"{quota.bot_default.units} a {quota.bot_default.period} (the bot's)")
    return f"{yours} · server default: {default} per member"


def key_words(key: KeyStatus) -> str:
    """Whether this server pays with its own key; at most its last four characters."""
    if not key.own_key:
        return "API key: the bot's"
    if not key.readable:
        return f"API key: own key set (…{key.last4}), but this bot can't open it any more: set it again"
    return f"API key: own key set ✓ (…{key.last4})"


def owner_words(owner: OwnerTotals) -> str:
    """The owner's line: every server's totals."""
    return (
        f"**All servers** (owner): {owner.servers_connected} connected to this process · "
        f"{owner.servers_active_today} asked for videos today · spent today: {spend_words(owner.spent_today)}"
    )


def status_text(status: ServerStatus) -> str:
    """What /videobot status answers, privately."""
    where = status.where
    up = human_duration((status.now - where.started_at).total_seconds())
    lines = [
        f"**videobot {status.version}** · shard {where.shard_id} of {where.shard_count} · up {up}",
        f"Now here: {_under_way(status.here, status.server_cap)} · "
        f"all servers: {_under_way(status.everywhere, status.bot_cap)}",
        f"Video service, last hour: {health_words(status.health)}",
        f"Upload limit here: {human_size(where.upload_limit)} · {quota_words(status.quota)}",
        f"Spent {PERIOD_WORDS[status.spent_period]}: {spend_words(status.spent)} · {key_words(status.key)}",
    ]
    if status.owner is not None:
        lines.append(owner_words(status.owner))
    return "\n".join(lines)
