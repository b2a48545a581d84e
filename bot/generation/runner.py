"""JobRunner: owns every generation task — the waiting line, concurrency caps, leases, stop and shutdown.

A job waits in the bot's own line until the caps (all servers, its server) leave room, counted in the database
across every process that shares it, then runs as a task of its own through `JobExecution`. The caps are for
new submissions: a job taken over while its task is already being made only polls, and neither waits for nor
takes a place. How many videos one member may have under way is decided once, at admission
(bot/quotas/admission.py), so the line never second-guesses it.

Each job is held through a lease (bot/generation/leasing.py): claimed when admitted, renewed by a heartbeat,
released on a clean shutdown. Shutdown cancels the tasks without ending the jobs, so a process (this one
restarted, or another) adopts and finishes them; a job another process adopted while this one was silent is
stopped here without being ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.core.logcontext import job_context
from bot.core.sharding import Shards
from bot.core.tasks import TaskGroup
from bot.generation.engine import GenerationEngine
from bot.generation.execution import JobExecution, Presenter
from bot.generation.handover import release, settle
from bot.generation.leasing import LeaseKeeper, LeaseTerms
from bot.generation.state import Phase, Places, progress_state
from bot.quotas.admission import QuotaService
from bot.quotas.keys import KeyLookup
from bot.store import Job, JobStatus, Store
from bot.videoapi import paying_with

log = logging.getLogger(__name__)

JobListener = Callable[[Job], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Caps:
    """How many jobs may generate at once, in all servers together and in one server (every process counted)."""

    total: int
    per_guild: int


QUEUE_REFRESH: Final = 3.0  # seconds between two updates of one message's place in line
BOT_FULL: Final = "The bot is at its limit of videos at a time; yours starts as soon as one finishes."


def _server_full(cap: int) -> str:
    return f"Server limit: {cap} video{'s' if cap != 1 else ''} at a time"


@dataclass(slots=True)
class _Ticket:
    job: Job  # as it was when it came into line: a job taken over while running tells how it was left
    guild_cap: int
    # False for a job taken over while running: the vendor is already making it (or it is to be failed), so
    # it neither waits for a place nor asks for one; it still counts as generating, being running.
    counts: bool = True
    reason: str | None = None  # why it is still waiting, as last found (None: not looked at yet)
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
        lease: LeaseTerms,
        vendor_key: KeyLookup | None = None,
    ) -> None:
        self._store = store
        self._vendor_key = vendor_key  # a server paying with its own key: its jobs send that key
        self._presenter = presenter
        self._caps = caps
        self._lease = lease
        self._execution = JobExecution(
            store=store, engine=engine, presenter=presenter, quotas=quotas,
            history_max_turns=history_max_turns, ended=self._job_ended, owner=lease.owner,
        )
        self._keeper = LeaseKeeper(store, lease, self)
        self._shards = Shards.all_of(1)
        self._held: set[int] = set()  # jobs whose lease this process holds
        self._waiting: list[_Ticket] = []
        self._running: dict[int, tuple[_Ticket, asyncio.Task[None]]] = {}
        self._stopping: set[int] = set()  # jobs a Cancel is already stopping
        self._side_tasks = TaskGroup()
        self._wake = asyncio.Event()  # something changed: look at the line again
        self._line: asyncio.Task[None] | None = None
        self._passing = asyncio.Lock()  # one pass over the line at a time: a job is started once
        self._ended_listeners: list[JobListener] = []
        self._started_listeners: list[JobListener] = []

    # --- public -----------------------------------------------------------------------------------

    @property
    def closing(self) -> bool:  # shutting down: it admits nothing new and hands its jobs over
        return self._execution.closing

    @property
    def load(self) -> tuple[int, int]:
        """Jobs (waiting in this process's line, generating in this process)."""
        return len(self._waiting), len(self._running)

    @property
    def owner(self) -> str:
        """This process's owner ID in the job leases."""
        return self._lease.owner

    def on_job_ended(self, listener: JobListener) -> None:
        """Call `listener` with the finished job whenever one ends (the moderator log uses this)."""
        self._ended_listeners.append(listener)

    def on_job_started(self, listener: JobListener) -> None:
        """Call `listener` with each job submitted (not resumed) once it is in line (the moderator log uses this)."""
        self._started_listeners.append(listener)

    def keep_leases(self) -> None:
        """From start-up until shutdown: renew this process's leases, stop what another process adopted and
        what a Cancel pressed elsewhere ended (see LeaseKeeper)."""
        self._side_tasks.spawn(self._keeper.run(), "job-leases")

    def adopt_for(self, shards: Shards) -> None:
        """Once connected to its shards: adopt the lapsed jobs of `shards` (and, later, of the others) at once,
        then on every heartbeat."""
        self._shards = self._keeper.shards = shards
        self._side_tasks.spawn(self._adopt_logged(), "adopt-at-start")

    async def _adopt_logged(self) -> None:
        try:
            await self.adopt()
        except Exception:
            log.exception("adopting lapsed jobs failed; the next heartbeat tries again")

    async def claim(self, job_id: int) -> None:
        """Hold a job just admitted, so that no other process takes it while its start is under way."""
        if self._execution.closing:
            return  # left unclaimed: whichever process starts next adopts it
        if await self._store.leases.claim(job_id, self.owner):
            self._held.add(job_id)

    async def submit(self, job_id: int) -> None:
        """Put an accepted job (with its progress message attached) in line."""
        if self._execution.closing:
            return  # the start finished during shutdown: the job is adopted by the next process to start
        await self.claim(job_id)
        if job_id not in self._held:  # it ended meanwhile, or another process took it for an orphan
            log.warning("job %s is no longer this process's to start", job_id)
            return
        job = await self._store.jobs.get(job_id)
        await self._enqueue(job)
        try:
            await self._pass()  # started, or shown its place in line, before the start is over
        except Exception:
            log.exception("starting job %s failed; the line tries again", job_id)
        await self._tell(self._started_listeners, job)

    def is_active(self, job_id: int) -> bool:
        """Whether the job is waiting or running in this process."""
        return job_id in self._running or any(t.job.id == job_id for t in self._waiting)

    def stop(self, job_id: int) -> None:
        """A Cancel of this job was recorded: stop its work here, if it has any that a Cancel can still stop.

        A job whose video is already made (or whose end has begun) is left to finish; a job that another
        process runs is stopped there, by its heartbeat, which looks for recorded Cancels.
        """
        if job_id in self._execution.settled or job_id in self._stopping:
            return
        if job_id in self._running:
            self._stopping.add(job_id)
            self._running[job_id][1].cancel()
            return
        for ticket in self._waiting:
            if ticket.job.id == job_id:
                self._stopping.add(job_id)
                self._waiting.remove(ticket)
                self._side_tasks.spawn(self._end_waiting(job_id), f"cancel-{job_id}")
                self._wake.set()
                return

    async def adopt(self, shards: Shards | None = None) -> int:
        """Take over the jobs whose lease lapsed (see LeaseKeeper.adopt), for `shards` (by default those given to
        `adopt_for`); returns how many were put in line. Done at connection and on every heartbeat."""
        return await self._keeper.adopt(shards or self._shards)

    async def shutdown(self, grace: float = 0.0) -> None:
        """Hand every job over to another process, letting starts and ends settle `grace` s (see handover.py)."""
        self._execution.closing = True
        await settle(self._store, lambda: list(self._running), self._execution.settled, grace)
        tasks = [task for _, task in self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._side_tasks.close()
        await self._execution.close()
        self._waiting.clear()
        await release(self._store, self.owner, self._held, self._shards.label)

    # --- the keeper's side (see leasing.Holder) ----------------------------------------------------

    def held(self) -> set[int]:
        return set(self._held)

    def forget(self, job_id: int) -> None:
        self._held.discard(job_id)

    def lose(self, job_id: int) -> None:
        self._held.discard(job_id)
        if job_id in self._running:
            self._execution.lost.add(job_id)
            self._running[job_id][1].cancel()
        self._waiting = [t for t in self._waiting if t.job.id != job_id]

    async def take_over(self, jobs: Sequence[Job]) -> int:
        taken = 0
        for job in jobs:
            self._held.add(job.id)
            try:
                taken += await self._take_over(job)
            except Exception:
                log.exception("taking over job %s failed; letting it go for the next adoption", job.id)
                await self._let_go(job.id)
        return taken

    async def _take_over(self, job: Job) -> int:
        if job.id in self._execution.lost and job.id in self._running:
            # Lost while this process was silent, and back now that its adopter fell silent in turn: let the
            # old task finish stopping before the job starts again.
            await asyncio.wait([self._running[job.id][1]])
        if self.is_active(job.id) or self._execution.closing:
            return 0
        if job.message_id is None or job.conversation_id is None:
            try:
                await self._execution.never_started(job)
            finally:
                self._execution.settled.discard(job.id)
                self._held.discard(job.id)
            return 0
        await self._enqueue(job, counts=job.status is JobStatus.QUEUED)
        return 1

    async def _let_go(self, job_id: int) -> None:
        self._held.discard(job_id)
        try:
            await self._store.leases.let_go(job_id, self.owner)
        except Exception:
            log.exception("letting go of job %s failed; it is adopted once its lease lapses", job_id)

    # --- scheduling -------------------------------------------------------------------------------

    async def _enqueue(self, job: Job, *, counts: bool = True) -> None:
        guild = await self._store.settings.get(job.guild_id)
        self._waiting.append(_Ticket(job, guild.max_jobs_per_guild or self._caps.per_guild, counts))
        if self._line is None:
            self._line = self._side_tasks.spawn(self._keep_line(), "job-line")
        self._wake.set()

    async def _keep_line(self) -> None:
        """Start waiting jobs whenever something changed here, and every `line_retry` seconds while any wait
        (another process may have freed a place)."""
        while not self._execution.closing:
            if self._waiting:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that meets its timeout
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._lease.line_retry):
                        await self._wake.wait()
            else:
                await self._wake.wait()
            self._wake.clear()
            try:
                await self._pass()
            except Exception:
                log.exception("starting waiting jobs failed; trying again")

    async def _pass(self) -> None:
        async with self._passing:
            await self._start_what_fits()

    async def _start_what_fits(self) -> None:
        """Start every waiting job the caps leave room for, oldest first; the others keep their place.

        The caps are counted in the database, across every process, in the same transaction that marks a job
        running. A full server is asked about once per pass, a full bot once."""
        full: dict[int, str] = {}  # guild → why it is full, found in this pass
        bot_full = False
        for ticket in list(self._waiting):
            if self._execution.closing:
                return
            job = ticket.job
            reason = (full.get(job.guild_id, "") or (BOT_FULL if bot_full else "")) if ticket.counts else ""
            if ticket.counts and not reason:
                start = await self._store.leases.start(
                    job.id, self.owner, max_total=self._caps.total, max_per_server=ticket.guild_cap,
                    # not a third opinion on members (admission decided): a member's jobs count as the server's
                    max_per_member=ticket.guild_cap,
                )
                if start.full == "bot":
                    bot_full, reason = True, BOT_FULL
                elif start.full is not None:
                    reason = full[job.guild_id] = _server_full(ticket.guild_cap)
                elif not start.started:  # it ended, or another process holds it now
                    self.lose(job.id)
                    continue
            elif not ticket.counts:
                await self._store.jobs.mark_running(job.id)  # taken over while running: count the attempt
            if ticket not in self._waiting:
                continue  # stopped by a Cancel meanwhile: that ends it
            ticket.reason = reason
            if not reason:
                self._waiting.remove(ticket)
                self._launch(ticket)
        await self._announce_places()

    def _launch(self, ticket: _Ticket) -> None:
        job = ticket.job
        # Running without a task ID when taken over, after its request was let out: the service may or may not
        # have started the video. It is failed, never sent again (that could bill twice). One that never let its
        # request out is run like any other: nothing reached the service.
        interrupted = job.status is JobStatus.RUNNING and job.task_id is None and job.sending_at is not None
        task = asyncio.create_task(  # in a context of its own: the job's IDs are on its every log line
            self._run_paying(job, interrupted=interrupted), name=f"job-{job.id}",
            context=job_context(job.id, job.guild_id, self._shards.count, job.task_id))
        self._running[job.id] = (ticket, task)
        task.add_done_callback(functools.partial(self._finished, job.id))

    async def _run_paying(self, job: Job, *, interrupted: bool) -> None:
        """Run the job with its server's own key when it has one: every vendor call of the job's task (the
        stream, a recovery's polls) carries it."""
        key = await self._vendor_key(job.guild_id) if self._vendor_key is not None else None
        with paying_with(key):
            await self._execution.run(job.id, interrupted=interrupted)

    async def _announce_places(self) -> None:
        """Tell waiting members where they stand in the one line of every process sharing the database (a
        server's, when the server is full; the bot's, when the bot is): the same place whichever process
        holds the job. A new place at most every QUEUE_REFRESH seconds per message (a line of hundreds moves
        on every finished video; its members need the gist, not every step). The line is looked at again at
        least every `line_retry` seconds, so a place held back is shown soon."""
        now = asyncio.get_running_loop().time()
        # Tickets that came into line during this pass (no reason yet) hear where they stand on the next one.
        due = [t for t in self._waiting
               if t.reason is not None and (t.shown is None or now - t.shown_at >= QUEUE_REFRESH)]
        if not due:
            return
        places = await self._store.jobs.places_in_line([t.job.id for t in due])
        for ticket in due:
            if ticket.job.id not in places or ticket.reason is None:
                continue  # started or ended meanwhile
            in_bot, in_server = places[ticket.job.id]
            place = (in_bot if ticket.reason == BOT_FULL else in_server, ticket.reason)
            if ticket.shown == place:
                continue
            ticket.shown, ticket.shown_at = place, now
            state = progress_state(ticket.job, phase=Phase.QUEUED, queue_position=place[0], queue_reason=place[1])
            self._presenter.show(_places_known(ticket.job), state)

    def _finished(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._execution.settled.discard(job_id)
        self._stopping.discard(job_id)
        if job_id in self._execution.lost:
            self._execution.lost.discard(job_id)
        elif not self._execution.closing:
            self._held.discard(job_id)  # ended: the lease ends with the job
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s crashed; letting it go for the next adoption", job_id, exc_info=task.exception())
            if not self._execution.closing:
                self._side_tasks.spawn(self._let_go(job_id), f"let-go-{job_id}")
        self._wake.set()

    async def _end_waiting(self, job_id: int) -> None:
        try:
            await self._execution.end_cancelled(job_id)
        finally:
            self._execution.settled.discard(job_id)
            self._stopping.discard(job_id)
            self._held.discard(job_id)

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
