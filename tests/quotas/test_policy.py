"""Quota policy resolution and calendar periods, as moderators and members would check them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.quotas.policy import EffectiveLimit, Member, describe_limit, period_end, period_start, resolve_limit
from bot.store.models import QuotaPolicy

GUILD, ALICE, SUPPORTER, BOOSTER = 1, 100, 7, 8


def policy(scope: str, target: int, units: int, period: str = "week", concurrent: int | None = None) -> QuotaPolicy:
    return QuotaPolicy(
        id=0, guild_id=GUILD, scope=scope, target_id=target, period=period, max_units=units,
        max_concurrent=concurrent, updated_by=None, updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def resolve(policies: list[QuotaPolicy], *, roles: set[int] = frozenset(), moderator: bool = False,
            exempt: bool = True) -> EffectiveLimit:
    member = Member(user_id=ALICE, role_ids=frozenset(roles), is_moderator=moderator)
    return resolve_limit(
        member, policies, moderators_exempt=exempt, default_units=3, default_period="day", default_concurrent=2
    )


SERVER = policy("guild", GUILD, 5)
ROLE = policy("role", SUPPORTER, 10)
BIG_ROLE = policy("role", BOOSTER, 4, period="day")  # 28 a week: more generous than 10 a week
USER = policy("user", ALICE, 1)


@pytest.mark.parametrize(
    ("policies", "roles", "expected"),
    [
        ([], set(), (3, "day", "default", None)),
        ([SERVER], set(), (5, "week", "guild", None)),
        ([SERVER, ROLE], {SUPPORTER}, (10, "week", "role", SUPPORTER)),
        ([SERVER, ROLE], set(), (5, "week", "guild", None)),  # the role's limit is not hers
        ([SERVER, ROLE, BIG_ROLE], {SUPPORTER, BOOSTER}, (4, "day", "role", BOOSTER)),
        ([SERVER, ROLE, USER], {SUPPORTER}, (1, "week", "user", ALICE)),  # her own limit wins, even if smaller
        ([policy("user", 999, 50)], set(), (3, "day", "default", None)),  # someone else's limit
    ],
)
def test_user_over_role_over_server_over_default(
    policies: list[QuotaPolicy], roles: set[int], expected: tuple[object, ...]
) -> None:
    limit = resolve(policies, roles=roles)
    assert (limit.units, limit.period, limit.source, limit.source_id) == expected


def test_moderators_are_exempt_unless_the_server_turns_it_off() -> None:
    assert resolve([SERVER], moderator=True).unlimited
    assert resolve([SERVER], moderator=True).source == "exempt"
    limited = resolve([SERVER], moderator=True, exempt=False)
    assert (limited.units, limited.source) == (5, "guild")


def test_concurrency_follows_the_same_precedence() -> None:
    assert resolve([]).max_concurrent == 2
    assert resolve([policy("guild", GUILD, 5, concurrent=1)]).max_concurrent == 1
    roles = [policy("role", SUPPORTER, 5, concurrent=3), policy("role", BOOSTER, 5, concurrent=4)]
    assert resolve([policy("guild", GUILD, 5, concurrent=1), *roles], roles={SUPPORTER, BOOSTER}).max_concurrent == 4


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("day", datetime(2026, 11, 23, 23, 59, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC),
         datetime(2026, 11, 24, tzinfo=UTC)),
        ("week", datetime(2026, 11, 29, 12, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC),  # Sunday → Monday
         datetime(2026, 11, 30, tzinfo=UTC)),
        ("week", datetime(2026, 11, 30, 0, 0, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
         datetime(2026, 12, 7, tzinfo=UTC)),
        ("month", datetime(2026, 12, 31, 23, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC),
         datetime(2027, 1, 1, tzinfo=UTC)),
        ("month", datetime(2027, 2, 14, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC),
         datetime(2027, 3, 1, tzinfo=UTC)),
    ],
)
def test_periods_are_calendar_periods_in_utc(period: str, now: datetime, start: datetime, end: datetime) -> None:
    assert period_start(period, now) == start
    assert period_end(period, now) == end


def test_period_of_a_non_utc_time_is_computed_in_utc() -> None:
    from datetime import timedelta, timezone

    tokyo = timezone(timedelta(hours=9))
    assert period_start("day", datetime(2026, 11, 24, 3, 0, tzinfo=tokyo)) == datetime(2026, 11, 23, tzinfo=UTC)


def test_limits_read_naturally() -> None:
    assert describe_limit(resolve([ROLE], roles={SUPPORTER})) == "10 videos a week"
    assert describe_limit(resolve([USER])) == "1 video a week"
    assert describe_limit(resolve([], moderator=True)) == "unlimited"
