"""The edit plan: latest state wins, one edit per message per interval, a shared budget, finals delivered."""

from __future__ import annotations

import asyncio
import itertools
import math

from bot.discord_ui.editor import EditPlan, ProgressEditor


def run_plan(plan: EditPlan[str], until: float, step: float = 0.01) -> list[tuple[float, str, str]]:
    """Drive the plan on a virtual clock; every edit completes instantly. Returns (time, key, item)."""
    done: list[tuple[float, str, str]] = []
    now = 0.0
    while now <= until:
        while isinstance(decision := plan.take(now), tuple):
            key, item, final = decision
            done.append((round(now, 2), key, item))
            plan.done(key, now, final=final)
        now += step
    return done


def test_latest_state_wins_and_stale_ones_are_dropped() -> None:
    plan: EditPlan[str] = EditPlan(min_interval=1.0)
    plan.offer("msg", "queued", 0.0)
    first = plan.take(0.0)
    assert first == ("msg", "queued", False)
    plan.done("msg", 0.0, final=False)
    for percent in range(10, 100, 10):  # nine updates inside one second
        plan.offer("msg", f"{percent} %", percent / 100)
    assert plan.take(0.5) == 0.5  # not before a second has passed
    assert plan.take(1.0) == ("msg", "90 %", False)


def test_one_message_is_edited_at_most_once_per_interval() -> None:
    plan: EditPlan[str] = EditPlan(min_interval=1.0)
    edits = []
    now = 0.0
    while now < 10:
        plan.offer("msg", f"state at {now:.1f}", now)  # a new state every 100 ms
        while isinstance(plan.take(now), tuple):
            edits.append(now)
            plan.done("msg", now, final=False)
        now = round(now + 0.1, 1)
    gaps = [b - a for a, b in itertools.pairwise(edits)]
    assert len(edits) == 10
    assert min(gaps) >= 1.0 - 1e-9


def test_all_messages_share_the_global_budget_fairly() -> None:
    plan: EditPlan[str] = EditPlan(min_interval=1.0, rate=25.0, burst=5.0)
    for n in range(200):
        plan.offer(f"msg{n}", "generating", 0.0)
    edits = run_plan(plan, until=4.0)
    per_second = [sum(1 for t, _, _ in edits if s <= t < s + 1) for s in range(4)]
    assert max(per_second) <= 25 + 5  # the bucket's rate plus its burst, never more
    assert len({key for _, key, _ in edits}) == len(edits)  # nobody edited twice while others waited
    assert [key for _, key, _ in edits[:3]] == ["msg0", "msg1", "msg2"]  # oldest first


def test_final_state_is_delivered_and_nothing_after_it() -> None:
    plan: EditPlan[str] = EditPlan(min_interval=1.0)
    plan.offer("msg", "generating", 0.0)
    assert plan.take(0.0) == ("msg", "generating", False)
    plan.offer("msg", "finished", 0.2, final=True)
    plan.offer("msg", "late progress", 0.3)  # e.g. a straggling update: must not overwrite the end
    assert plan.take(0.5) == math.inf  # the first edit is still in flight: nothing to do until it ends
    plan.done("msg", 0.5, final=False)
    assert plan.take(1.5) == ("msg", "finished", True)
    plan.done("msg", 1.5, final=True)
    plan.offer("msg", "after the end", 2.0)
    assert run_plan(plan, until=3.0) == []


async def test_editor_delivers_the_final_state_in_real_time() -> None:
    editor = ProgressEditor(min_interval=0.05, rate=100, burst=5)
    shown: list[str] = []

    def edit(label: str):
        async def apply() -> None:
            shown.append(label)
        return apply

    for n in range(20):
        editor.show("msg", edit(f"progress {n}"))
        await asyncio.sleep(0.005)
    await editor.finish("msg", edit("finished"))
    await editor.close()
    assert shown[-1] == "finished"
    assert len(shown) < 10  # twenty updates were coalesced
    assert shown[0] == "progress 0"


def test_a_final_state_goes_first_and_does_not_wait_out_the_progress_interval() -> None:
    plan: EditPlan[str] = EditPlan(min_interval=1.0, rate=1.0, burst=1.0)
    plan.offer("a", "a: 40 %", 0.0)
    assert plan.take(0.0) == ("a", "a: 40 %", False)
    plan.done("a", 0.1, final=False)
    plan.offer("b", "b: 10 %", 0.1)  # waiting longer than a's final, and the tokens are spent
    plan.offer("a", "a: finished", 0.2, final=True)
    assert plan.take(0.2) == ("a", "a: finished", True)  # not at 1.1: members are waiting for it
    assert isinstance(plan.take(0.2), float)  # b still waits for a token


async def test_a_final_state_does_not_wait_for_a_stale_progress_edit() -> None:
    editor = ProgressEditor(min_interval=0.01, rate=100, burst=5)
    shown: list[str] = []
    stuck = asyncio.Event()  # a progress edit waiting its turn behind many others (it never gets one here)

    async def progress() -> None:
        await stuck.wait()
        shown.append("progress")

    async def final() -> None:
        shown.append("finished")

    editor.show("msg", progress)
    await asyncio.sleep(0.05)  # the progress edit is under way
    await asyncio.wait_for(editor.finish("msg", final), timeout=2)
    assert shown == ["finished"]  # the stale progress edit was dropped, never sent after the end
    await editor.close()
