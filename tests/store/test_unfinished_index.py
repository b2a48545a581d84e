"""Resume scales with the work in flight, not with history: the reads a start-up makes (the unfinished jobs,
and each adoption batch of lapsed ones, oldest first) go through the index of exactly the unfinished rows on
both engines, with thousands of finished jobs beside them. Proven by each engine's own EXPLAIN of the very
statements the store sends."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.store import Store

FINISHED, UNFINISHED = 20_000, 30


async def _a_long_history(store: Store) -> None:
    """Many finished jobs (ids first, as history is), then a few unfinished ones, and the engine's statistics."""
    db = store.db
    now = db.now()
    if db.dialect == "postgresql":
        rows = "SELECT n FROM generate_series(1, ?) AS n"
    else:
        rows = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) SELECT n FROM s"
    for count, status, offset in ((FINISHED, "succeeded", 0), (UNFINISHED, "running", FINISHED)):
        await db.execute(
            "INSERT INTO jobs (guild_id, user_id, status, model, params, created_at, owner, heartbeat_at, message_id)"
            f" SELECT n % 50, n, '{status}', 'sora-2', '{{\"prompt\": \"p\"}}', ?, 'gone', 0, n + ? FROM ({rows})"
            " AS numbers",
            (now - 3600, offset, count),
        )
    await db.execute("ANALYZE")


async def _statements_of(store: Store, call: Callable[[], Awaitable[Any]]) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements (and their parameters) that `call` reads rows with."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    fetch_all = store.db.fetch_all

    async def recording(sql: str, params: Any = ()) -> Any:
        sent.append((sql, tuple(params)))
        return await fetch_all(sql, params)

    store.db.fetch_all = recording  # type: ignore[method-assign]
    try:
        await call()
    finally:
        del store.db.fetch_all
    return sent


async def _plan(store: Store, sql: str, params: tuple[Any, ...]) -> str:
    db = store.db
    if db.dialect == "postgresql":
        # No ANALYZE: the adoption is an UPDATE, and the plan alone says which rows it may visit.
        rows = await db.fetch_all(f"EXPLAIN (FORMAT JSON) {sql}", params)
        return json.dumps(json.loads(rows[0][0]) if isinstance(rows[0][0], str) else rows[0][0])
    rows = await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
    return "\n".join(str(row[3]) for row in rows)


def _scans_of_jobs(plan: str, dialect: str) -> list[str]:
    """How each read of `jobs` in a plan finds its rows."""
    if dialect == "postgresql":
        found: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("Relation Name") == "jobs" and node.get("Node Type") != "ModifyTable":
                    found.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(json.loads(plan))
        return found
    return [line for line in plan.splitlines() if " jobs" in f" {line}" and ("SCAN" in line or "SEARCH" in line)]


async def test_start_up_reads_only_the_unfinished_jobs(store: Store) -> None:
    await _a_long_history(store)
    sent = await _statements_of(store, store.jobs.unfinished)
    assert len(sent) == 1
    scans = _scans_of_jobs(await _plan(store, *sent[0]), store.db.dialect)
    assert scans and all("jobs_unfinished_by_id" in scan for scan in scans), scans
    assert len(await store.jobs.unfinished()) == UNFINISHED


async def test_each_adoption_batch_reads_only_the_unfinished_jobs(store: Store) -> None:
    await _a_long_history(store)

    async def adopt() -> None:
        await store.leases.adopt_expired("me", grace=timedelta(seconds=30), limit=10)

    sent = await _statements_of(store, adopt)
    assert len(sent) == 1
    scans = _scans_of_jobs(await _plan(store, *sent[0]), store.db.dialect)
    # The UPDATE finds its rows through the batch's ids (the primary key); the batch itself is chosen
    # through the index of unfinished jobs in id order, never by walking every job.
    assert any("jobs_unfinished_by_id" in scan for scan in scans), scans
    assert not any(scan.startswith(("Seq Scan", "SCAN jobs")) and "INDEX" not in scan for scan in scans), scans


PARTIAL_OR_KEY = ("jobs_unfinished", "jobs_unfinished_by_id", "jobs_by_owner", "jobs_pkey", "PRIMARY KEY")


async def test_the_heartbeat_and_the_line_read_no_finished_history(store: Store) -> None:
    """What every process sends every few seconds however long it has run: renewing its leases, looking for
    Cancels recorded elsewhere and for dead holders, and the places in line. None walks the table."""
    await _a_long_history(store)

    async def heartbeat_and_line() -> None:
        await store.leases.renew("gone")
        await store.leases.cancelled("gone")
        await store.leases.holders()
        await store.jobs.places_in_line([FINISHED + 1, FINISHED + 2])

    sent = await _statements_of(store, heartbeat_and_line)
    assert len(sent) == 4
    for statement in sent:
        scans = _scans_of_jobs(await _plan(store, *statement), store.db.dialect)
        assert scans, statement
        for scan in scans:
            assert any(name in scan for name in PARTIAL_OR_KEY), (statement[0], scans)
