"""JobRunner: owns every generation task — the waiting line, concurrency caps, resume, stop and shutdown.

A job waits in the bot's own line while a cap (all servers, or its server) is full, then runs as a task of
its own through `JobExecution`. The caps are for new submissions: a resumed job whose task the vendor is
already making only polls, and neither waits for nor takes a place. How many videos one member may have
under way is decided once, at admission (bot/quotas/admission.py), so the line never second-guesses it.
Shutdown cancels the tasks without ending the jobs: the next start resumes them from their saved task IDs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.tasks import TaskGroup
from bot.generation.engine import GenerationEngine
from bot.generation.execution import JobExecution, Presenter
from bot.generation.state import Phase, Places, progress_state
from bot.quotas.admission import QuotaService
from bot.store import Job, Store

log = logging.getLogger(__name__)

JobListener = Callable[[Job], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Caps:
    """How many jobs may generate at once, in all servers together and in one server."""

    total: int
    per_guild: int


QUEUE_REFRESH = 3.0  # seconds between two updates of one message's place in line


@dataclass(slots=True)
class _Ticket:
    job: Job
    guild_cap: int
    # False for a resumed job the vendor is already making: it only polls, so it neither waits for nor
    # takes a place meant for new submissions.
    counts: bool = True
    shown: tuple[int, str] | None = None  # the queue position and reason last shown
    shown_at: float = -QUEUE_REFRESH


class JobRunner:
    """Runs jobs in the background under concurrency caps; the only owner of their tasks."""

    def __init__(
        self,
        *,
        store: Store,
        engine: GenerationEngine,
        presenter: Presenter,
        quotas: QuotaService,
        caps: Caps,
        history_max_turns: int,
    ) -> None:
        self._store = store
        self._presenter = presenter
        self._caps = caps
        self._execution = JobExecution(
            store=store, engine=engine, presenter=presenter, quotas=quotas,
            history_max_turns=history_max_turns, ended=self._job_ended,
        )
        self._waiting: list[_Ticket] = []
        self._running: dict[int, tuple[_Ticket, asyncio.Task[None]]] = {}
        self._side_tasks = TaskGroup()
        self._refresh: asyncio.TimerHandle | None = None  # the next update of places in line, when one is due
        self._ended_listeners: list[JobListener] = []
        self._started_listeners: list[JobListener] = []

    # --- public -----------------------------------------------------------------------------------

    def on_job_ended(self, listener: JobListener) -> None:
        """Call `listener` with the finished job whenever one ends (the moderator log uses this)."""
        self._ended_listeners.append(listener)

    def on_job_started(self, listener: JobListener) -> None:
        """Call `listener` with each job submitted (not resumed) once it is in line (the moderator log uses this)."""
        self._started_listeners.append(listener)

    async def submit(self, job_id: int) -> None:
        """Put an accepted job (with its progress message attached) in line."""
        job = await self._store.jobs.get(job_id)
        await self._enqueue(job)
        self._pump()
        await self._tell(self._started_listeners, job)

    def is_active(self, job_id: int) -> bool:
        """Whether the job is waiting or running in this process."""
        return job_id in self._running or any(t.job.id == job_id for t in self._waiting)

    def stop(self, job_id: int) -> None:
        """A Cancel of this job was recorded: stop its work here, if it has any that a Cancel can still stop.

        A job whose video is already made (or whose end has begun) is left to finish; a job that is not in
        this process is ended by whichever start resumes it, which honours the recorded Cancel.
        """
        if job_id in self._execution.settled:
            return
        if job_id in self._running:
            self._running[job_id][1].cancel()
            return
        for ticket in self._waiting:
            if ticket.job.id == job_id:
                self._waiting.remove(ticket)
                self._side_tasks.spawn(self._end_waiting(job_id), f"cancel-{job_id}")
                self._pump()
                return

    async def resume_unfinished(self, up_to_id: int) -> int:
        """After a start: put every job an earlier run left queued or running back in line; returns how many.

        `up_to_id` is the newest job when this process opened the database: later jobs are this process's
        own, perhaps still opening their thread, and must not be taken for orphans. A job that never got
        its progress message is ended with a word to its member, wherever that can still be said.
        """
        resumed = 0
        for job in await self._store.jobs.unfinished(up_to_id):
            if self.is_active(job.id):
                continue  # already in line, never twice
            if job.message_id is None or job.conversation_id is None:
                await self._execution.never_started(job)
                self._execution.settled.discard(job.id)
                continue
            await self._enqueue(job, counts=job.task_id is None)
            resumed += 1
        self._pump()
        if resumed:
            log.info("resumed %d unfinished job(s)", resumed)
        return resumed

    async def shutdown(self) -> None:
        """Stop every task without ending its job, so the next start resumes it."""
        self._execution.closing = True
        if self._refresh is not None:
            self._refresh.cancel()
        tasks = [task for _, task in self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._side_tasks.close()
        self._waiting.clear()

    # --- scheduling -------------------------------------------------------------------------------

    async def _enqueue(self, job: Job, *, counts: bool = True) -> None:
        guild = await self._store.settings.get(job.guild_id)
        self._waiting.append(_Ticket(job, guild.max_jobs_per_guild or self._caps.per_guild, counts))

    def _blocked_by(self, ticket: _Ticket, per_guild: Counter[int], total: int) -> str:
        """Why a waiting job cannot start ("" when it can), given what counts as running now."""
        if not ticket.counts:
            return ""
        if per_guild[ticket.job.guild_id] >= ticket.guild_cap:
            return f"Server limit: {ticket.guild_cap} video{'s' if ticket.guild_cap != 1 else ''} at a time"
        if total >= self._caps.total:
            return "The bot is at its limit of videos at a time; yours starts as soon as one finishes."
        return ""

    def _pump(self) -> None:
        """Start every waiting job whose caps allow it, oldest first; the others keep their place."""
        if self._execution.closing:
            return
        per_guild = Counter(t.job.guild_id for t, _ in self._running.values() if t.counts)
        total = sum(per_guild.values())
        still_waiting = []
        for ticket in self._waiting:
            if self._blocked_by(ticket, per_guild, total):
                still_waiting.append(ticket)
                continue
            task = asyncio.create_task(self._execution.run(ticket.job.id), name=f"job-{ticket.job.id}")
            self._running[ticket.job.id] = (ticket, task)
            task.add_done_callback(functools.partial(self._finished, ticket.job.id))
            if ticket.counts:
                per_guild[ticket.job.guild_id] += 1
                total += 1
        self._waiting = still_waiting
        self._announce_places(per_guild, total)

    def _announce_places(self, per_guild: Counter[int], total: int) -> None:
        """Tell waiting members where they stand: a new place at most every QUEUE_REFRESH seconds per message
        (a line of hundreds moves on every finished video; its members need the gist, not every step)."""
        now = asyncio.get_running_loop().time()
        stale = False
        for position, ticket in enumerate(self._waiting, start=1):
            place = (position, self._blocked_by(ticket, per_guild, total))
            if ticket.shown == place:
                continue
            if ticket.shown is not None and now - ticket.shown_at < QUEUE_REFRESH:
                stale = True
                continue
            ticket.shown, ticket.shown_at = place, now
            state = progress_state(ticket.job, phase=Phase.QUEUED, queue_position=place[0], queue_reason=place[1])
            self._presenter.show(_places_known(ticket.job), state)
        if stale and self._refresh is None:
            self._refresh = asyncio.get_running_loop().call_later(QUEUE_REFRESH, self._refresh_places)

    def _refresh_places(self) -> None:
        self._refresh = None
        self._pump()

    def _finished(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._execution.settled.discard(job_id)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s crashed", job_id, exc_info=task.exception())
        self._pump()

    async def _end_waiting(self, job_id: int) -> None:
        try:
            await self._execution.end_cancelled(job_id)
        finally:
            self._execution.settled.discard(job_id)

    async def _job_ended(self, job_id: int) -> None:
        await self._tell(self._ended_listeners, await self._store.jobs.get(job_id))

    @staticmethod
    async def _tell(listeners: list[JobListener], job: Job) -> None:
        for listener in listeners:
            try:
                await listener(job)
            except Exception:
                log.exception("job listener failed for job %s", job.id)


def _places_known(job: Job) -> Places:
    """The progress message of a job in line (all that a queue position needs)."""
    return Places(job.guild_id, job.channel_id, job.message_id)
