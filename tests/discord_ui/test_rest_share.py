"""The bot's processes split Discord's global REST budget by how many are alive, and a newcomer takes its part
only once the others have had time to make room for it (the rule of bot/discord_ui/rest_share.py)."""

from __future__ import annotations

from pathlib import Path

from bot.discord_ui.ratelimit import GlobalRequestBudget
from bot.discord_ui.rest_share import NEWCOMER_LIMIT, TTL, WARMUP, RestShare, alone_share, share_for
from bot.store import Sharer, Store
from tests.store.backends import database

__all__ = ["database"]

SECOND = 1000


def test_warm_processes_split_the_budget_evenly() -> None:
    sharers = [Sharer("a", 0), Sharer("b", 0), Sharer("c", 0)]
    assert [share_for(s.owner, sharers, total=44, now_ms=10 * SECOND, alone_share=44) for s in sharers] == [14] * 3


def test_a_newcomer_waits_for_room_unless_it_is_alone() -> None:
    others = [Sharer("a", 0), Sharer("b", 0)]
    newcomer = Sharer("c", 9 * SECOND)
    now = 10 * SECOND
    assert share_for("c", [*others, newcomer], total=44, now_ms=now, alone_share=44) == NEWCOMER_LIMIT
    assert share_for("a", [*others, newcomer], total=44, now_ms=now, alone_share=44) == 14  # made room at once
    later = 9 * SECOND + int(WARMUP * SECOND)
    assert share_for("c", [*others, newcomer], total=44, now_ms=later, alone_share=44) == 14
    # Alone, a process starts at its shards' part: processes started together for one bot's shards never
    # exceed the budget between them before they see each other.
    assert share_for("c", [newcomer], total=44, now_ms=now, alone_share=11) == 11
    assert alone_share(44, 4, (1,)) == 11 and alone_share(44, 4, (0, 1)) == 22 and alone_share(44, None, None) == 44


async def test_processes_on_one_database_agree_on_their_shares(database: Path | str) -> None:
    now = [1000.0]
    stores = [await Store.open(database), await Store.open(database)]
    try:
        budgets = [GlobalRequestBudget(limit=44), GlobalRequestBudget(limit=44)]
        shares = [
            RestShare(budget, store.rest_sharers, owner, total=44, alone_share=44, clock=lambda: now[0])
            for budget, store, owner in zip(budgets, stores, ("first", "second"), strict=True)
        ]
        assert await shares[0].beat() == 44  # alone
        now[0] += 0.5
        assert await shares[1].beat() == NEWCOMER_LIMIT  # the first is there, and not yet told
        assert await shares[0].beat() == NEWCOMER_LIMIT  # told: it is not warm either, so it yields too
        now[0] += WARMUP
        assert [await s.beat() for s in shares] == [22, 22]
        assert [b.limit for b in budgets] == [22, 22]

        now[0] += TTL + 0.1  # the second falls silent (killed): the first takes the whole budget back
        assert await shares[0].beat() == 44
        await stores[0].rest_sharers.leave("first")  # a clean stop gives its share back at once
        back = int(now[0] * 1000)
        assert await stores[1].rest_sharers.beat("second", back, int(TTL * 1000)) == [Sharer("second", back)]
    finally:
        for store in stores:
            await store.close()
