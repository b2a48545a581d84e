"""In a burst of commands every member is acknowledged before any start's database work begins: a start,
once acknowledged, waits for the commands received before it to be acknowledged too."""

from __future__ import annotations

import asyncio

from bot.discord_ui.acknowledge import AcknowledgementsFirst


async def test_work_after_an_acknowledgement_waits_for_the_others_received() -> None:
    first = AcknowledgementsFirst()
    for interaction_id in (1, 2, 3):  # three commands parsed from the gateway in one go
        first.received(interaction_id)
    first.answered(1)
    work = asyncio.create_task(first.drained())  # the first start would now read the database
    await asyncio.sleep(0)
    first.answered(2)
    await asyncio.sleep(0)
    assert not work.done()  # the third member has not been answered yet
    first.answered(3)
    await asyncio.wait_for(work, 1.0)
    await asyncio.wait_for(first.drained(), 1.0)  # nothing pending: no wait at all


async def test_a_command_answered_some_other_way_holds_nothing_back_for_long(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.discord_ui.acknowledge.ACK_PRIORITY", 0.05)
    first = AcknowledgementsFirst()
    first.received(1)  # e.g. a command that opens a form: it never goes through acknowledge()
    first.received(2)
    first.answered(2)
    await asyncio.wait_for(first.drained(), 2.0)
