"""A clean stop's hand-over (JobRunner.shutdown, on SIGTERM): before its tasks are stopped and its leases
released, a process lets the videos being started at the service get their task ID, so that the process
adopting them polls that task rather than failing the video as interrupted, and lets those being ended land.
Then it says in its log what it hands over."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from typing import Final

from bot.core import metrics
from bot.store import Store

log = logging.getLogger(__name__)

SETTLE_POLL: Final = 0.1  # seconds between two looks at the jobs a stop waits for


async def settle(store: Store, running: Callable[[], Collection[int]], ending: Collection[int], grace: float) -> None:
    """Wait, at most `grace` seconds, until no job of `running()` is between its request and its task ID and
    none is in `ending` (its result saved or its end begun)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while loop.time() < deadline:
        unsettled = [job_id for job_id in running()
                     if job_id in ending or (await store.jobs.get(job_id)).task_id is None]
        if not unsettled:
            return
        await asyncio.sleep(min(SETTLE_POLL, max(0.0, deadline - loop.time())))
    if running():
        log.warning("stopping with %d video(s) still starting or ending", len(running()))


async def release(store: Store, owner: str, held: Collection[int], shards: str) -> None:
    """Say which videos this process hands over and how far each got (their task IDs and progress are in the
    database already, saved as they came), then release its leases so that another process adopts them now."""
    try:
        jobs = [job for job in [await store.jobs.get(job_id) for job_id in sorted(held)] if not job.status.finished]
        if jobs:
            log.info("handing over %d video(s): %s", len(jobs), "; ".join(
                f"{job.id} {job.status.value}" + (f" task {job.task_id} at {job.progress or 0}%" if job.task_id else "")
                for job in jobs))
        released = await store.leases.release(owner)
    except Exception:
        log.exception("releasing the job leases failed; other processes adopt the jobs once they lapse")
        return
    metrics.LEASES_RELEASED.labels(shards).inc(released)
    if released:
        log.info("released %d unfinished job(s) for the next process to adopt", released)
