"""Pure quota arithmetic: which limit applies to a member and why, and when a period starts and ends."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.core.periods import Period
from bot.store.models import QuotaPolicy

_DAYS: Final[dict[str, float]] = {"day": 1, "week": 7, "month": 30.44}
PERIOD_WORDS: Final[dict[str, str]] = {"day": "today", "week": "this week", "month": "this month"}


@dataclass(frozen=True, slots=True)
class Member:
    """The facts about a member that decide their limit."""

    user_id: int
    role_ids: frozenset[int]
    is_moderator: bool


@dataclass(frozen=True, slots=True)
class EffectiveLimit:
    """The limit that applies to a member, and which rule produced it (shown by /quota show)."""

    units: int | None  # None: not limited (an exempt moderator)
    period: Period
    source: str  # "user" | "role" | "guild" | "default" | "exempt"
    source_id: int | None = None  # the role or user whose policy applied
    max_concurrent: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.units is None


def period_start(period: Period, now: datetime) -> datetime:
    """The start of the calendar period (UTC) containing `now`: midnight, Monday midnight or the 1st."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return midnight
    if period == "week":
        return midnight - timedelta(days=midnight.weekday())
    return midnight.replace(day=1)


def period_end(period: Period, now: datetime) -> datetime:
    """When the period containing `now` ends, which is when usage resets."""
    start = period_start(period, now)
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def generosity(policy: QuotaPolicy) -> tuple[float, int]:
    """How generous a limit is, comparable across periods: units per day, then raw units."""
    return policy.max_units / _DAYS[policy.period], policy.max_units


def resolve_limit(
    member: Member,
    policies: Iterable[QuotaPolicy],
    *,
    moderators_exempt: bool,
    default_units: int,
    default_period: Period,
    default_concurrent: int,
) -> EffectiveLimit:
    """A member's own limit if set, else the most generous of their roles', else the server's, else the bot's.

    Moderators are not limited when the server exempts them. Concurrency follows the same order.
    """
    by_scope: dict[str, list[QuotaPolicy]] = {"user": [], "role": [], "guild": []}
    for policy in policies:
        if (
            (policy.scope == "user" and policy.target_id == member.user_id)
            or (policy.scope == "role" and policy.target_id in member.role_ids)
            or policy.scope == "guild"
        ):
            by_scope[policy.scope].append(policy)

    chosen: QuotaPolicy | None = None
    for scope in ("user", "role", "guild"):
        if by_scope[scope]:
            chosen = max(by_scope[scope], key=generosity)
            break
    concurrent = _concurrency(by_scope, default_concurrent)
    if member.is_moderator and moderators_exempt:
        return EffectiveLimit(None, chosen.period if chosen else default_period, "exempt", None, concurrent)
    if chosen is None:
        return EffectiveLimit(default_units, default_period, "default", None, concurrent)
    source_id = None if chosen.scope == "guild" else chosen.target_id
    return EffectiveLimit(chosen.max_units, chosen.period, chosen.scope, source_id, concurrent)


def _concurrency(by_scope: dict[str, list[QuotaPolicy]], default: int) -> int:
    # Same precedence as units: the first scope that says anything wins, its most generous value.
    for scope in ("user", "role", "guild"):
        values = [p.max_concurrent for p in by_scope[scope] if p.max_concurrent is not None]
        if values:
            return max(values)
    return default


def describe_limit(limit: EffectiveLimit) -> str:
    """'10 a week', '3 a day', 'unlimited'."""
    if limit.units is None:
        return "unlimited"
    noun = "video" if limit.units == 1 else "videos"
    return f"{limit.units} {noun} a {limit.period}"


def describe_source(limit: EffectiveLimit) -> str:
    """Where a limit comes from, as a moderator would say it."""
    if limit.source == "user":
        return f"set for <@{limit.source_id}>"
    if limit.source == "role":
        return f"from role <@&{limit.source_id}>"
    if limit.source == "guild":
        return "the server default"
    if limit.source == "exempt":
        return "moderators are exempt"
    return "the bot's default"
