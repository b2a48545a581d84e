"""The global REST budget: no second ever holds more sends than the limit, however late granted requests
leave, and what members wait for goes before progress, queue positions and the moderator log."""

from __future__ import annotations

import asyncio

from bot.discord_ui.ratelimit import GlobalRequestBudget, Priority


async def test_no_window_holds_more_than_the_limit() -> None:
    budget = GlobalRequestBudget(limit=10, per=0.2)
    loop = asyncio.get_running_loop()
    sent: list[float] = []

    async def request() -> None:
        await budget.acquire()
        sent.append(loop.time())
        budget.sent()

    await asyncio.gather(*(request() for _ in range(35)))
    assert len(sent) == 35
    for start in sent:  # every window that begins at a send
        assert sum(1 for t in sent if start <= t < start + 0.2 - 1e-3) <= 10
    assert sent == sorted(sent)


async def test_a_request_that_leaves_late_still_counts_from_when_it_left() -> None:
    budget = GlobalRequestBudget(limit=4, per=0.2)
    loop = asyncio.get_running_loop()
    sent: list[float] = []

    async def request(delay: float) -> None:
        await budget.acquire()
        await asyncio.sleep(delay)  # a busy loop or a slow connection between the grant and the send
        sent.append(loop.time())
        budget.sent()

    await asyncio.gather(*(request(0.15 if n < 4 else 0.0) for n in range(12)))
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 0.2 - 1e-3) <= 4


async def test_urgent_requests_overtake_progress_queue_and_log() -> None:
    budget = GlobalRequestBudget(limit=2, per=0.1)
    order: list[Priority] = []

    async def request(priority: Priority) -> None:
        await budget.acquire(priority)
        order.append(priority)
        budget.sent()

    low = [Priority.LOG, Priority.QUEUE, Priority.PROGRESS] * 3
    tasks = [asyncio.create_task(request(p)) for p in low]
    await asyncio.sleep(0)  # the first two take the window; the rest wait
    tasks.append(asyncio.create_task(request(Priority.STATE)))
    await asyncio.gather(*tasks)
    waited = order[2:]
    assert waited[0] is Priority.STATE
    assert waited[1:] == sorted(waited[1:])  # then progress, then queue positions, then the log


async def test_a_caller_that_gives_up_frees_its_place() -> None:
    budget = GlobalRequestBudget(limit=1, per=10.0)
    await budget.acquire()
    budget.sent()
    waiter = asyncio.create_task(budget.acquire())
    await asyncio.sleep(0.01)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert budget.granted[Priority.STATE] == 1


async def test_grants_are_spread_out_not_bunched_at_the_start_of_a_window() -> None:
    # A window's worth sent in one burst, and the next a window later, may reach Discord bunched into one of its
    # seconds; evenly spaced grants (a burst of a few at most) leave a late arrival little to add.
    budget = GlobalRequestBudget(limit=20, per=0.2, burst=3)
    loop = asyncio.get_running_loop()
    granted: list[float] = []

    async def request() -> None:
        await budget.acquire()
        granted.append(loop.time())
        budget.sent()

    await asyncio.gather(*(request() for _ in range(30)))
    spacing = 0.2 / 20
    for start in granted:  # any stretch of k spacings holds at most the burst plus k grants
        for k in (1, 5, 10):
            assert sum(1 for t in granted if start <= t < start + k * spacing - 1e-4) <= 3 + k


async def test_a_smaller_share_holds_grants_until_the_window_is_under_it() -> None:
    budget = GlobalRequestBudget(limit=4, per=10.0, burst=4)
    for _ in range(4):
        await budget.acquire()
        budget.sent()
    budget.set_limit(2)  # another process joined: this one's window (4) must empty below 2 first
    waiting = asyncio.create_task(budget.acquire())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the four sent stay in the window for 10 s
    budget.set_limit(8)  # given more, it may send again at once
    await asyncio.wait_for(waiting, 1.0)
    assert budget.limit == 8


async def test_a_global_429_slows_the_pace_which_then_recovers() -> None:
    # The budget kept its count, yet Discord saw a bunch: the path needs more headroom, for a while.
    now = [100.0]
    budget = GlobalRequestBudget(limit=40, per=1.0, clock=lambda: now[0])
    assert budget.pace_now() == 40
    budget.refused_globally()
    budget.refused_globally()  # refused together with the first: one slowdown, not two
    assert budget.pace_now() == 32
    now[0] += 1.5
    budget.refused_globally()  # still bunched a window later: slower again
    assert budget.pace_now() == 26  # (0.8 + 1.5 s of recovery) × 0.8 of 40
    now[0] += 5
    assert budget.pace_now() == 30  # two per cent of the limit regained each second
    now[0] += 60
    assert budget.pace_now() == 40 and budget.refusals == 3
