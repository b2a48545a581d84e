"""The job metrics (bot/core/metrics.py), read off the seams every job already passes: the presenter, which
sees each state a member is shown, and the runner's start and end listeners. Nothing in the job's own code
records anything.

Times are measured from the moment the job started generating (`ProgressState.started_at`); the wait in line
before that is `videobot_queue_wait_seconds`. A job resumed after a restart or adopted from another process
is not timed to its task ID or first progress: it had them before.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core import metrics
from bot.generation.execution import Presenter
from bot.generation.state import Delivery, Phase, Places, ProgressState
from bot.quotas.spending import charged_money
from bot.store import Job, JobStatus, Store

log = logging.getLogger(__name__)


def _since(state: ProgressState) -> float:
    started = state.started_at if state.started_at.tzinfo else state.started_at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - started).total_seconds())


class ObservedPresenter:
    """A Presenter that passes everything to `inner` and times the milestones members see."""

    def __init__(self, inner: Presenter, provider: str) -> None:
        self._inner = inner
        self._provider = provider
        # Per job seen in this process: (seen without a task ID, seen without progress).
        self._missing: dict[int, tuple[bool, bool]] = {}

    def show(self, places: Places, state: ProgressState) -> None:
        if state.phase is not Phase.QUEUED:
            self._milestones(state)
        self._inner.show(places, state)

    async def conclude(self, places: Places, state: ProgressState) -> Delivery:
        delivery = await self._inner.conclude(places, state)
        self._missing.pop(state.job_id, None)
        if state.phase is Phase.FINISHED and delivery.shown:
            metrics.TIME_TO_VIDEO_SHOWN.labels(self._provider, state.model).observe(_since(state))
        return delivery

    async def notify(self, places: Places, text: str) -> Delivery:
        return await self._inner.notify(places, text)

    def _milestones(self, state: ProgressState) -> None:
        no_task, no_progress = self._missing.get(state.job_id, (state.task_id is None, state.progress is None))
        if no_task and state.task_id is not None:
            metrics.TIME_TO_TASK_ID.labels(self._provider, state.model).observe(_since(state))
            no_task = False
        if no_progress and state.progress is not None:
            metrics.TIME_TO_FIRST_PROGRESS.labels(self._provider, state.model).observe(_since(state))
            no_progress = False
        self._missing[state.job_id] = (no_task, no_progress)


class JobMetrics:
    """The runner's listeners: videos admitted and ended by state, provider and model; units and money charged."""

    def __init__(self, provider: str, store: Store) -> None:
        self._provider = provider
        self._store = store

    async def started(self, job: Job) -> None:
        metrics.JOBS_ADMITTED.labels(self._provider, job.model).inc()

    async def ended(self, job: Job) -> None:
        if job.started_at is not None:  # it waited in line from admission until it started generating
            metrics.QUEUE_WAIT.observe(max(0.0, (job.started_at - job.created_at).total_seconds()))
        kind = "" if job.status is JobStatus.SUCCEEDED else (job.error_kind or "")
        metrics.JOBS_ENDED.labels(job.status.value, self._provider, job.model, kind).inc()
        if job.status is JobStatus.SUCCEEDED:
            metrics.UNITS.labels("charged").inc(job.cost)
            cost = await self._store.costs.of_job(job.id)
            money = charged_money(job, cost)
            if cost is not None and money is not None:
                metrics.SPEND.labels(money.currency, "server" if cost.own_key else "bot").inc(money.micros)
        # Said inside the job's own task: in JSON, this line carries its job, server, shard and task IDs.
        log.info("video %d ended: %s%s", job.id, job.status.value, f" ({kind})" if kind else "")
