"""Background tasks that are owned: each one kept by a set until it ends, its crash logged, never lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


def log_crash(task: asyncio.Task[Any]) -> None:
    """A done-callback: log the exception a background task ended with (cancellation is not a crash)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background task %s crashed", task.get_name(), exc_info=error)


class TaskGroup:
    """A set of background tasks with one owner: `spawn` starts and keeps one, `close` cancels and awaits all.

    Unlike asyncio.TaskGroup it is not a scope: tasks come and go for the owner's whole life, and one
    task's crash (logged) does not cancel the others.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `work` in the background under this group."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(log_crash)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    def tasks(self) -> set[asyncio.Task[Any]]:
        """The tasks still running."""
        return set(self._tasks)

    async def close(self) -> None:
        """Cancel every task and wait until each has ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
