"""Encoders shared between servers: one at a time per server, the servers waiting served in turn."""

from __future__ import annotations

import asyncio

import pytest

from bot.media.fairness import FairSlots


async def _run(slots: FairSlots, owner: str, order: list[str], release: asyncio.Event) -> None:
    async with slots.hold(owner):
        order.append(owner)
        await release.wait()


async def test_a_server_with_many_videos_does_not_make_another_wait_behind_them() -> None:
    slots, order, release = FairSlots(1), [], asyncio.Event()
    # Server A sends five oversized videos first; server B one, last.
    tasks = [asyncio.create_task(_run(slots, "A", order, release)) for _ in range(5)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(_run(slots, "B", order, release)))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert order[:3] == ["A", "B", "A"]  # B's goes second, not sixth
    assert order.count("A") == 5


async def test_with_two_encoders_another_server_starts_at_once_and_a_server_holds_one_at_most() -> None:
    slots, order, release = FairSlots(2, per_owner=1), [], asyncio.Event()
    tasks = [asyncio.create_task(_run(slots, "A", order, release)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert (slots.busy, slots.held_by("A"), slots.waiting) == (1, 1, 2)  # the second encoder stays free for others
    tasks.append(asyncio.create_task(_run(slots, "B", order, release)))
    await asyncio.sleep(0.01)
    assert order == ["A", "B"] and slots.busy == 2
    release.set()
    await asyncio.gather(*tasks)
    assert slots.busy == 0 and slots.waiting == 0


async def test_three_servers_take_turns() -> None:
    slots, order, release = FairSlots(1), [], asyncio.Event()
    tasks = []
    for owner in "AAABBC":
        tasks.append(asyncio.create_task(_run(slots, owner, order, release)))
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["A", "B", "C", "A", "B", "A"]


async def test_a_cancelled_wait_gives_its_place_up() -> None:
    slots, order, release = FairSlots(1), [], asyncio.Event()
    first = asyncio.create_task(_run(slots, "A", order, release))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(_run(slots, "B", order, release))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slots.waiting == 0
    late = asyncio.create_task(_run(slots, "C", order, release))
    release.set()
    await asyncio.gather(first, late)
    assert order == ["A", "C"] and slots.busy == 0
