"""This process's side of the job leases (bot/store/leases.py): heartbeat, notice what was lost, honour Cancels
recorded elsewhere, adopt what a stopped process left.

Every process sharing the database has an owner ID of its own (one per run). It holds the jobs it admitted,
renews their leases every third of the lease timeout, and releases them on a clean shutdown. A process that
stops renewing (killed, frozen, cut off from the database) loses its jobs once the timeout has passed:

* a process adopts the lapsed jobs of servers on its own shards after the timeout, and those of other shards
  after twice the timeout, so the shard's own process (restarted by its supervisor) takes them first and,
  if none does, a survivor still finishes them in their own messages (REST works from any process);
* a process that wakes up to find a job adopted stops working on it without ending it: the adopter ends it;
* a process that finds the owner of some leases dead on its own machine (its PID gone: killed, crashed) takes
  them as released, at once: a single bot restarted after kill -9 resumes its videos without waiting out the
  timeout. (Processes that share a host name but not a PID namespace, such as replicas given one explicit
  container host name, must not share a database: each would see the others' PIDs as gone.)
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Protocol

from bot.core import metrics
from bot.core.sharding import Shards
from bot.store import Job, Store

log = logging.getLogger(__name__)

CANCEL_POLL: Final = 1.0  # seconds between two looks for Cancels recorded by another process
ADOPT_BATCH: Final = 100  # jobs adopted per statement; a pass repeats until none is left


def new_owner_id() -> str:
    """An ID for this run of this process: where it runs, which process, and a random part (PIDs repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def died_on_this_host(owner: str, me: str) -> bool:
    """Whether `owner` (from `new_owner_id`, not `me`) ran on this machine and its process no longer exists: its
    PID is gone, or is this process's own (a container restarted runs as PID 1 again). A PID that another
    process took since reads as alive, and the lease then simply times out."""
    host, pid, _ = [*owner.rsplit(":", 2), "", ""][:3]
    if owner == me or host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)  # signal 0 sends nothing: it only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """Who this process is to the others, and how long its silence is tolerated."""

    owner: str
    timeout: float = 30.0  # seconds without a heartbeat after which another process adopts a job
    line_retry: float = 1.0  # seconds between two looks for room freed by another process

    @property
    def heartbeat(self) -> float:
        return self.timeout / 3


class Holder(Protocol):
    """What the keeper needs from the JobRunner."""

    def held(self) -> set[int]:
        """The jobs this process believes it holds."""

    def forget(self, job_id: int) -> None:
        """The job ended: there is no lease left to hold."""

    def lose(self, job_id: int) -> None:
        """Another process adopted this job: stop working on it here, without ending it."""

    def stop(self, job_id: int) -> None:
        """A Cancel of this job was recorded: stop it (and end it as cancelled)."""

    async def take_over(self, jobs: Sequence[Job]) -> int:
        """Put adopted jobs in line (or end those that never started); returns how many were put in line."""


class LeaseKeeper:
    """Renews, checks and adopts on a timer; `run` is the JobRunner's owned background task."""

    def __init__(self, store: Store, terms: LeaseTerms, holder: Holder) -> None:
        self._store = store
        self._terms = terms
        self._holder = holder
        # The shards whose lapsed jobs this process adopts: none until it is connected to all of its own (a
        # process starting many shards renews what its first ones admitted long before it may adopt).
        self.shards: Shards | None = None

    async def run(self) -> None:
        """Renew at once and on a timer, adopting once `shards` is set, until cancelled (a failed round is logged
        and tried again)."""
        loop = asyncio.get_running_loop()
        next_beat = loop.time()
        while True:
            try:
                await self.honour_cancels()
                if loop.time() >= next_beat:
                    next_beat = loop.time() + self._terms.heartbeat
                    await self.heartbeat()
                    if self.shards is not None:
                        await self.adopt(self.shards)
                elif self.shards is not None and await self._store.leases.any_released():
                    await self.adopt(self.shards)  # a process stopped cleanly: its jobs go on at once
            except Exception:
                log.exception("keeping the job leases failed; trying again")
            await asyncio.sleep(min(CANCEL_POLL, self._terms.heartbeat))

    async def heartbeat(self) -> None:
        """Renew every lease this process holds; stop the jobs another process adopted meanwhile."""
        believed = self._holder.held()
        renewed = await self._store.leases.renew(self._terms.owner)
        for job_id in believed - renewed:
            job = await self._store.jobs.get(job_id)
            if job.status.finished:
                self._holder.forget(job_id)
                continue
            if job.owner == self._terms.owner:
                continue  # claimed just after the renewal: nothing was lost
            log.warning("job %s was adopted by another process while this one was silent; stopping it here", job_id)
            self._holder.lose(job_id)

    async def honour_cancels(self) -> None:
        """Stop the jobs held here whose Cancel was recorded, perhaps by the process of their server's shard."""
        if not self._holder.held():
            return
        for job_id in await self._store.leases.cancelled(self._terms.owner):
            self._holder.stop(job_id)

    async def adopt(self, shards: Shards) -> int:
        """Take the lapsed jobs: of this process's shards after the timeout, of the others after twice that.
        Returns how many were put in line."""
        await self._release_the_dead()
        grace = timedelta(seconds=self._terms.timeout)
        taken = await self._adopt(grace, shards.count, shards.ids)
        if shards.others:
            taken += await self._adopt(grace * 2, shards.count, shards.others)
        return taken

    async def _release_the_dead(self) -> None:
        for owner in await self._store.leases.holders():
            if died_on_this_host(owner, self._terms.owner):
                released = await self._store.leases.release(owner)
                log.info("%d job(s) of %s, a process of this machine that no longer exists, are free to adopt",
                         released, owner)

    async def _adopt(self, grace: timedelta, count: int, ids: Sequence[int]) -> int:
        taken = 0
        while True:
            jobs = await self._store.leases.adopt_expired(
                self._terms.owner, grace=grace, shard_count=count, shard_ids=ids, limit=ADOPT_BATCH
            )
            if jobs:
                log.info("adopted %d job(s) a stopped process left: %s", len(jobs), ", ".join(str(j.id) for j in jobs))
                metrics.LEASES_ADOPTED.labels(self.shards.label if self.shards else "").inc(len(jobs))
                taken += await self._holder.take_over(jobs)
            if len(jobs) < ADOPT_BATCH:
                return taken
