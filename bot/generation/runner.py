"""JobRunner: owns every generation task — concurrency caps, run, resume, cancel and shutdown.

A job's life: it waits in the bot's own line while a cap (all servers, its server, its member) is full,
then runs through the GenerationEngine, and ends by showing its final state *before* recording the end,
so that a crash in between makes a restart show it again rather than lose it. Shutdown cancels the
tasks without ending the jobs: the next start resumes them from their saved task IDs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.tasks import TaskGroup
from bot.generation.engine import GenerationEngine, GenerationFailed, Outcome, Update, VideoMade
from bot.generation.history import History, build_history
from bot.generation.state import Phase, ProgressState, progress_state
from bot.quotas.admission import QuotaService
from bot.store import Job, JobStatus, Store

log = logging.getLogger(__name__)

_INTERRUPTED_BY_RESTART = "The bot restarted while the video service was starting this video."
_BOT_FAILURE = "Something went wrong on the bot's side; it has been logged."


class Presenter(Protocol):
    """Shows a job's state to people (the Discord side implements it)."""

    def show(self, job: Job, state: ProgressState) -> None:
        """Queue an intermediate state; may be superseded by a newer one."""

    async def conclude(self, job: Job, state: ProgressState) -> None:
        """Show the final state (with the video when finished) and wait until it is shown."""


JobEnded = Callable[[Job], Awaitable[None]]
JobStarted = Callable[[Job], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Caps:
    """How many jobs may generate at once."""

    total: int
    per_guild: int
    per_user: int


@dataclass(slots=True)
class _Ticket:
    job: Job
    guild_cap: int
    shown: tuple[int, str] | None = None  # the queue position and reason last shown


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
        self._engine = engine
        self._presenter = presenter
        self._quotas = quotas
        self._caps = caps
        self._history_max_turns = history_max_turns
        self._waiting: list[_Ticket] = []
        self._running: dict[int, tuple[_Ticket, asyncio.Task[None]]] = {}
        self._side_tasks = TaskGroup()
        self._cancelled_by: dict[int, int] = {}
        self._ended_listeners: list[JobEnded] = []
        self._started_listeners: list[JobStarted] = []
        self._closing = False

    # --- public -----------------------------------------------------------------------------------

    def on_job_ended(self, listener: JobEnded) -> None:
        """Call `listener` with the finished job whenever one ends (the moderator log uses this)."""
        self._ended_listeners.append(listener)

    def on_job_started(self, listener: JobStarted) -> None:
        """Call `listener` with each job submitted (not resumed) once it is in line (the moderator log uses this)."""
        self._started_listeners.append(listener)

    async def submit(self, job_id: int) -> None:
        """Put an accepted job (with its progress message attached) in line."""
        job = await self._store.jobs.get(job_id)
        await self._enqueue(job)
        self._pump()
        for listener in self._started_listeners:
            try:
                await listener(job)
            except Exception:
                log.exception("job-started listener failed for job %s", job_id)

    def is_active(self, job_id: int) -> bool:
        """Whether the job is waiting or running in this process."""
        return job_id in self._running or any(t.job.id == job_id for t in self._waiting)

    def cancel(self, job_id: int, by_user_id: int) -> bool:
        """Stop a job; it ends as cancelled and is refunded. False if it is not waiting or running here."""
        if job_id in self._running:
            self._cancelled_by[job_id] = by_user_id
            self._running[job_id][1].cancel()
            return True
        for ticket in self._waiting:
            if ticket.job.id == job_id:
                self._waiting.remove(ticket)
                self._side_tasks.spawn(
                    self._end_cancelled(ticket.job, progress_state(ticket.job), by_user_id), f"cancel-{job_id}"
                )
                self._pump()
                return True
        return False

    async def resume_unfinished(self, up_to_id: int) -> int:
        """After a start: put every job an earlier run left queued or running back in line; returns how many.

        `up_to_id` is the newest job when this process opened the database: later jobs are this process's
        own, perhaps still opening their thread, and must not be taken for orphans.
        """
        resumed = 0
        for job in await self._store.jobs.unfinished(up_to_id):
            if self.is_active(job.id):
                continue  # already in line, never twice
            if job.message_id is None or job.conversation_id is None:
                # It died before its progress message existed: nobody is watching it; give the unit back.
                await self._record_end(job, JobStatus.FAILED, _INTERRUPTED_BY_RESTART, "interrupted")
                continue
            await self._enqueue(job)
            resumed += 1
        self._pump()
        if resumed:
            log.info("resumed %d unfinished job(s)", resumed)
        return resumed

    async def shutdown(self) -> None:
        """Stop every task without ending its job, so the next start resumes it."""
        self._closing = True
        tasks = [task for _, task in self._running.values()] + list(self._side_tasks.tasks())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._waiting.clear()

    # --- scheduling -------------------------------------------------------------------------------

    async def _enqueue(self, job: Job) -> None:
        guild = await self._store.settings.get(job.guild_id)
        self._waiting.append(_Ticket(job, guild.max_jobs_per_guild or self._caps.per_guild))

    def _blocked_by(self, ticket: _Ticket) -> str | None:
        running = [t for t, _ in self._running.values()]
        if sum(t.job.user_id == ticket.job.user_id for t in running) >= self._caps.per_user:
            cap = self._caps.per_user
            return f"You can have {cap} video{'s' if cap != 1 else ''} generating at a time."
        if sum(t.job.guild_id == ticket.job.guild_id for t in running) >= ticket.guild_cap:
            return f"Server limit: {ticket.guild_cap} video{'s' if ticket.guild_cap != 1 else ''} at a time"
        if len(running) >= self._caps.total:
            return "The bot is at its limit of videos at a time; yours starts as soon as one finishes."
        return None

    def _pump(self) -> None:
        """Start every waiting job whose caps allow it; tell the others where they stand."""
        if self._closing:
            return
        for ticket in list(self._waiting):
            if self._blocked_by(ticket) is None:
                self._waiting.remove(ticket)
                task = asyncio.create_task(self._execute(ticket), name=f"job-{ticket.job.id}")
                self._running[ticket.job.id] = (ticket, task)
                task.add_done_callback(functools.partial(self._finished, ticket.job.id))
        for position, ticket in enumerate(self._waiting, start=1):
            reason = self._blocked_by(ticket) or ""
            if ticket.shown != (position, reason):
                ticket.shown = (position, reason)
                state = progress_state(ticket.job, phase=Phase.QUEUED, queue_position=position, queue_reason=reason)
                self._presenter.show(ticket.job, state)

    def _finished(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._running.pop(job_id, None)
        self._cancelled_by.pop(job_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s crashed", job_id, exc_info=task.exception())
        self._pump()


    # --- one job ----------------------------------------------------------------------------------

    async def _execute(self, ticket: _Ticket) -> None:
        job = await self._store.jobs.get(ticket.job.id)
        if job.status.finished:
            return
        was_running_without_task = job.status is JobStatus.RUNNING and job.task_id is None
        await self._store.jobs.mark_running(job.id)
        job = await self._store.jobs.get(job.id)
        history = await self._history(job)
        state = progress_state(job, phase=Phase.WAITING, trimmed_to=history.trimmed_to)
        outcome: Outcome
        try:
            if job.result_turn_id is not None:
                outcome = await self._saved_outcome(job.result_turn_id)
            elif was_running_without_task:
                # The stream was open when the bot stopped and no task ID had arrived: the service may or
                # may not have started it, and re-sending could make (and bill) a second video.
                outcome = GenerationFailed(_INTERRUPTED_BY_RESTART, "interrupted")
            else:
                self._presenter.show(job, state)
                outcome, state = await self._generate(job, state, history.messages)
        except asyncio.CancelledError:
            if self._closing:
                raise  # shutting down: leave the job resumable
            await self._end_cancelled(job, state, self._cancelled_by.get(job.id))
            return
        except Exception:
            log.exception("job %s failed inside the bot", job.id)
            outcome = GenerationFailed(_BOT_FAILURE, "failed")
        await self._conclude(job, state, outcome)

    async def _generate(
        self, job: Job, state: ProgressState, history: list[dict[str, str]]
    ) -> tuple[Outcome, ProgressState]:
        current = state
        saved_task, saved_decile = job.task_id, (job.progress or 0) // 10

        async def report(update: Update) -> None:
            nonlocal current, saved_task, saved_decile
            if update.task_id and update.task_id != saved_task:
                saved_task = update.task_id
                await self._store.jobs.set_task_id(job.id, update.task_id)
            progress = current.progress
            if update.progress is not None:
                progress = max(progress or 0, update.progress)  # a resumed job never goes backwards
                if progress // 10 > saved_decile:  # saved at milestones, not per chunk
                    saved_decile = progress // 10
                    await self._store.jobs.set_progress(job.id, progress)
            current = dataclasses.replace(
                current,
                phase=Phase.GENERATING if update.stage == "generating" else Phase.WAITING,
                task_id=saved_task,
                progress=progress,
                retry=update.retry,
            )
            self._presenter.show(job, current)

        outcome = await self._engine.run(
            model=job.model, params=job.params, history=history, task_id=job.task_id, report=report
        )
        return outcome, current

    async def _conclude(self, job: Job, state: ProgressState, outcome: Outcome) -> None:
        now = self._store.db.clock()
        if isinstance(outcome, GenerationFailed):
            failed = dataclasses.replace(
                state, phase=Phase.FAILED, finished_at=now, error=outcome.error,
                task_id=outcome.task_id or state.task_id,
            )
            await self._presenter.conclude(job, failed)
            await self._record_end(job, JobStatus.FAILED, outcome.error, outcome.kind)
            return
        turn_id = job.result_turn_id
        if turn_id is None:
            assert job.conversation_id is not None
            async with self._store.transaction():
                turn = await self._store.conversations.add_turn(
                    conversation_id=job.conversation_id,
                    parent_id=job.request_turn_id,
                    role="assistant",
                    content=outcome.content,
                    discord_message_id=job.message_id,
                    task_id=outcome.task_id,
                    sid=outcome.sid,
                    video_url=outcome.video_url,
                    preview_url=outcome.preview_url,
                )
                await self._store.jobs.set_result_turn(job.id, turn.id)
            turn_id = turn.id
        finished = dataclasses.replace(
            state,
            phase=Phase.FINISHED,
            finished_at=now,
            task_id=outcome.task_id or state.task_id,
            progress=100,
            retry=None,
            video_url=outcome.video_url,
            preview_url=outcome.preview_url,
            service_note=outcome.service_note,
        )
        await self._presenter.conclude(job, finished)
        await self._store.jobs.finish(job.id, JobStatus.SUCCEEDED, result_turn_id=turn_id)
        await self._notify(job.id)

    async def _end_cancelled(self, job: Job, state: ProgressState, by_user_id: int | None) -> None:
        now = self._store.db.clock()
        cancelled = dataclasses.replace(state, phase=Phase.CANCELLED, finished_at=now, cancelled_by=by_user_id)
        await self._presenter.conclude(job, cancelled)
        await self._record_end(job, JobStatus.CANCELLED, "The video was cancelled.", "cancelled", by_user_id)

    async def _record_end(
        self, job: Job, status: JobStatus, error: str | None, kind: str | None, cancelled_by: int | None = None
    ) -> None:
        """End a job without a video: record why and give its units back, once."""
        async with self._store.transaction():
            ended = await self._store.jobs.finish(
                job.id, status, error=error, error_kind=kind, cancelled_by=cancelled_by
            )
            if ended:
                await self._quotas.refund(job.id)
        if ended:
            await self._notify(job.id)

    async def _notify(self, job_id: int) -> None:
        if not self._ended_listeners:
            return
        job = await self._store.jobs.get(job_id)
        for listener in self._ended_listeners:
            try:
                await listener(job)
            except Exception:
                log.exception("job-ended listener failed for job %s", job_id)

    # --- what the message shows -------------------------------------------------------------------

    async def _history(self, job: Job) -> History:
        """What the job sends: the path to the turn it answers, trimmed (the message says when it is)."""
        if job.request_turn_id is None:
            return History([{"role": "user", "content": job.params.prompt}], None)
        path = await self._store.conversations.path(job.request_turn_id)
        return build_history(path, self._history_max_turns)

    async def _saved_outcome(self, turn_id: int) -> VideoMade:
        turn = await self._store.conversations.turn(turn_id)
        assert turn.video_url is not None  # only a finished video's turn is saved as a job's result
        return VideoMade(turn.task_id, turn.content, turn.video_url, turn.preview_url, turn.sid)

