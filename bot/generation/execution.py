"""One job's life, from the video service to the place its member sees the end, then its record.

The final state is shown *before* the end is recorded: a crash in between makes a restart show it again
rather than lose it. What is recorded depends on what Discord accepted: a video that could be shown nowhere
is not charged. A Cancel is an intent recorded in the database before any work stops; the video's result is
saved only if no Cancel came first, so exactly one of the two wins, in this process or after a restart.
Only the process holding the job's lease ends it: one that finds the job adopted by another stops quietly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

from bot.generation.billing import Billing, unfinished_billing
from bot.generation.delivery import DeliveryGuard
from bot.generation.engine import GenerationEngine, GenerationFailed, Outcome, Update, VideoMade
from bot.generation.history import History, build_history
from bot.generation.state import Delivery, Phase, Places, ProgressState, progress_state, shown_of
from bot.quotas.admission import QuotaService
from bot.store import Job, JobStatus, Store

log = logging.getLogger(__name__)

INTERRUPTED_BY_RESTART: Final = "The bot restarted while the video service was starting this video."
NEVER_STARTED: Final = (
    "⚠️ <@{user}> the bot restarted before your video could start, so nothing was made and nothing was "
    "charged. Please ask again with /video."
)
_BOT_FAILURE: Final = "Something went wrong on the bot's side; it has been logged."
_UNDELIVERED: Final = "The video was made, but Discord refused every place to show it: {reason}."


class Presenter(Protocol):
    """Shows a job's state to people (the Discord side implements it)."""

    def show(self, places: Places, state: ProgressState) -> None:
        """Queue an intermediate state; may be superseded by a newer one."""

    async def conclude(self, places: Places, state: ProgressState) -> Delivery:
        """Show the final state (with the video when finished) in the most specific place that takes it."""

    async def notify(self, places: Places, text: str) -> Delivery:
        """Say something in plain words to a member whose job never got a progress message."""


JobEnded = Callable[[int], Awaitable[None]]


class _CancelCameFirst(Exception):
    """Raised inside the transaction that saves a video's result when a Cancel was recorded before it."""


class _NotToSend(Exception):
    """Raised just before a generation request would leave, when its job may no longer send it (a Cancel was
    recorded, or another process holds it now)."""


class JobExecution:
    """Runs jobs through the engine and ends them; the JobRunner decides when and owns the tasks."""

    def __init__(
        self,
        *,
        store: Store,
        engine: GenerationEngine,
        presenter: Presenter,
        quotas: QuotaService,
        history_max_turns: int,
        ended: JobEnded,
        owner: str,
    ) -> None:
        self._store = store
        self._engine = engine
        self._guard = DeliveryGuard(presenter, store)  # showing a job's end never kills the job's task
        self._presenter: Presenter = self._guard
        self._quotas = quotas
        self._history_max_turns = history_max_turns
        self._ended = ended
        self._owner = owner
        # Jobs past the point where a Cancel can stop them: their result is saved, or their end has begun.
        self.settled: set[int] = set()
        self.closing = False  # set by the runner on shutdown: a cancelled job then stays resumable
        self.lost: set[int] = set()  # jobs another process adopted: cancelled here without being ended

    async def run(self, job_id: int, *, interrupted: bool = False) -> None:
        """Make the job's video (or resume it) and end it; a recorded Cancel ends it as cancelled.

        The runner has marked the job running. `interrupted`: it was running without a task ID when this
        process took it over, after its request was let out, so the service may or may not have started it; it
        is failed, never sent again. A job taken over that never let its request out is simply run.
        """
        try:
            job = await self._store.jobs.get(job_id)
            if job.status.finished:
                return
            places = await self.places(job)
            if job.cancel_requested:
                await self._end_cancelled(job, places, progress_state(job))
                return
            outcome, state = await self._make(job, places, interrupted=interrupted)
        except _NotToSend:
            fresh = await self._store.jobs.get(job_id)
            if fresh.cancel_requested and not fresh.status.finished:
                await self.end_cancelled(job_id)
            else:
                log.warning("job %s was not sent: it is no longer this process's to send", job_id)
            return
        except asyncio.CancelledError:
            if self.closing or job_id in self.lost:
                raise  # shutting down, or adopted elsewhere: the job stays unfinished for its next holder
            # Stopped by a recorded Cancel (the runner cancels nothing else), even before it began.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            await self.end_cancelled(job_id)
            return
        except Exception:
            log.exception("job %s failed inside the bot", job_id)
            job = await self._store.jobs.get(job_id)
            places, state = await self.places(job), progress_state(job, phase=Phase.WAITING)
            outcome = GenerationFailed(_BOT_FAILURE, "failed", billing=self._unfinished_billing(job))
        await self._conclude(job, places, state, outcome)

    async def close(self) -> None:
        """Stop the delivery guard's bookkeeping (after every job task has stopped)."""
        await self._guard.close()

    async def end_cancelled(self, job_id: int) -> None:
        """End a job whose Cancel was recorded, showing the progress it had made."""
        job = await self._store.jobs.get(job_id)
        await self._end_cancelled(job, await self.places(job), progress_state(job, phase=Phase.WAITING))

    async def never_started(self, job: Job) -> None:
        """A job an earlier run admitted but never got going: tell its member wherever possible, refund it."""
        self.settled.add(job.id)
        delivery = await self._presenter.notify(await self.places(job), NEVER_STARTED.format(user=job.user_id))
        await self._end_without_video(job, JobStatus.FAILED, INTERRUPTED_BY_RESTART, "interrupted", delivery,
                                      billing="not_billed")

    async def places(self, job: Job) -> Places:
        """Where the job can speak to its member. A thread hangs off the public post that opened it, and
        Discord gives a thread the ID of that post: the conversation knows both."""
        outside: tuple[int, int | None] | None = None
        if job.conversation_id is not None:
            conversation = await self._store.conversations.get(job.conversation_id)
            outside = (conversation.channel_id, conversation.thread_id)
        elif job.post_channel_id is not None and job.post_channel_id != job.channel_id:
            outside = (job.post_channel_id, job.post_message_id)
        return Places(job.guild_id, job.channel_id, job.message_id, outside, upload_limit=job.params.upload_limit)

    # --- making the video -------------------------------------------------------------------------

    async def _make(self, job: Job, places: Places, *, interrupted: bool) -> tuple[Outcome, ProgressState]:
        history = await self._history(job)
        state = progress_state(job, phase=Phase.WAITING, trimmed_to=history.trimmed_to)
        if job.result_turn_id is not None:
            return await self._saved_outcome(job.result_turn_id), state
        if interrupted:
            # The stream was open when the bot stopped and no task ID had arrived: the service may or may
            # not have started it, and re-sending could make (and bill) a second video.
            return GenerationFailed(INTERRUPTED_BY_RESTART, "interrupted", billing="maybe_billed"), state
        self._presenter.show(places, state)
        return await self._generate(job, places, state, history.messages)

    async def _generate(
        self, job: Job, places: Places, state: ProgressState, history: list[dict[str, str]]
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
            self._presenter.show(places, current)

        async def before_send() -> None:
            # Recorded before the request leaves, in the one statement that checks the job may still send it.
            if not await self._store.jobs.mark_sending(job.id, self._owner):
                raise _NotToSend

        outcome = await self._engine.run(
            model=job.model, params=job.params, history=history, task_id=job.task_id, report=report,
            before_send=before_send,
        )
        return outcome, current

    # --- ending it --------------------------------------------------------------------------------

    async def _still_ours(self, job: Job) -> bool:
        """Whether this process still holds the job's lease, checked (and renewed) just before ending it: a
        process that was silent long enough for another to adopt the job leaves the end to the adopter."""
        if await self._store.leases.claim(job.id, self._owner):
            return True
        if not (await self._store.jobs.get(job.id)).status.finished:
            log.warning("job %s is held by another process now; leaving its end to that process", job.id)
        return False

    async def _conclude(self, job: Job, places: Places, state: ProgressState, outcome: Outcome) -> None:
        if not await self._still_ours(job):
            return
        now = self._store.db.clock()
        task_id = outcome.task_id or state.task_id
        if isinstance(outcome, GenerationFailed):
            self.settled.add(job.id)
            failed = dataclasses.replace(state, phase=Phase.FAILED, finished_at=now, error=outcome.error,
                                         task_id=task_id)
            delivery = await self._presenter.conclude(places, failed)
            await self._end_without_video(job, JobStatus.FAILED, outcome.error, outcome.kind, delivery,
                                          code=outcome.code, billing=outcome.billing)
            return
        turn_id = job.result_turn_id or await self._save_result(job, outcome)
        if turn_id is None:  # a Cancel was recorded first: it wins, and the video is not shown
            await self._end_cancelled(await self._store.jobs.get(job.id), places, state)
            return
        finished = dataclasses.replace(
            state, phase=Phase.FINISHED, finished_at=now, task_id=task_id, progress=100, retry=None,
            video_url=outcome.video_url, preview_url=outcome.preview_url, service_note=outcome.service_note,
        )
        delivery = await self._presenter.conclude(places, finished)
        if not delivery.shown:
            error = _UNDELIVERED.format(reason=delivery.reason)
            await self._end_without_video(job, JobStatus.FAILED, error, "undelivered", delivery, billing="billed")
            return
        async with self._store.transaction():
            if delivery.message_id != job.message_id and delivery.channel_id and delivery.message_id:
                # Shown in a new message: its buttons and replies belong to this video from now on.
                await self._store.jobs.move_message(job.id, delivery.channel_id, delivery.message_id)
                await self._store.conversations.move_turn_message(turn_id, delivery.message_id)
            if delivery.state is not None:  # kept so that Refresh link and Delete can show it again exactly
                await self._store.jobs.record_shown(job.id, shown_of(delivery.state))
            ended = await self._store.jobs.finish(
                job.id, JobStatus.SUCCEEDED, result_turn_id=turn_id, delivered_to=delivery.to
            )
        if ended:
            await self._ended(job.id)

    async def _save_result(self, job: Job, outcome: VideoMade) -> int | None:
        """Keep the video's turn, unless a Cancel was recorded first (then None, and nothing is kept)."""
        assert job.conversation_id is not None
        try:
            async with self._store.transaction():
                turn = await self._store.conversations.add_turn(
                    conversation_id=job.conversation_id, parent_id=job.request_turn_id, role="assistant",
                    content=outcome.content, discord_message_id=job.message_id, task_id=outcome.task_id,
                    sid=outcome.sid, video_url=outcome.video_url, preview_url=outcome.preview_url,
                )
                if not await self._store.jobs.set_result_turn(job.id, turn.id):
                    raise _CancelCameFirst  # rolls the turn back with the transaction
        except _CancelCameFirst:
            return None
        self.settled.add(job.id)  # from here on, the video is delivered: a Cancel comes too late
        return turn.id

    async def _end_cancelled(self, job: Job, places: Places, state: ProgressState) -> None:
        if not await self._still_ours(job):
            return
        self.settled.add(job.id)
        by = job.cancel_requested_by
        cancelled = dataclasses.replace(
            state, phase=Phase.CANCELLED, finished_at=self._store.db.clock(), cancelled_by=by
        )
        delivery = await self._presenter.conclude(places, cancelled)
        await self._end_without_video(job, JobStatus.CANCELLED, "The video was cancelled.", "cancelled", delivery,
                                      billing=self._unfinished_billing(await self._store.jobs.get(job.id)))

    def _unfinished_billing(self, job: Job) -> Billing:
        """What the vendor likely bills for a job stopped here: nothing unless its request was let out."""
        sent = job.sending_at is not None or job.task_id is not None
        return unfinished_billing(self._engine.failure_cost(job.model), sent=sent)

    async def _end_without_video(
        self, job: Job, status: JobStatus, error: str, kind: str, delivery: Delivery, *,
        billing: Billing, code: str | None = None,
    ) -> None:
        """Record why no video came of it, its code and what the vendor likely billed; give its units back, once."""
        async with self._store.transaction():
            ended = await self._store.jobs.finish(
                job.id, status, error=error, error_kind=kind, cancelled_by=job.cancel_requested_by,
                delivered_to=delivery.to, failure_code=code, vendor_billing=billing,
            )
            if ended:
                await self._quotas.refund(job.id)
        if ended:
            await self._ended(job.id)

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
