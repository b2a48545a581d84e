"""IDs bound to every log line of a job's life: its job, server, shard and, once known, the vendor's task ID.

A job runs as a task of its own (see bot/generation/runner.py), started in a context made by `job_context`;
what the task binds later (`bind(task_id=…)`) stays in that task. The JSON log format (bot/core/jsonlog.py)
writes these fields on every line; the plain format leaves them out.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from types import MappingProxyType

from bot.core.sharding import shard_of

_NONE: Mapping[str, int | str] = MappingProxyType({})
_fields: contextvars.ContextVar[Mapping[str, int | str]] = contextvars.ContextVar("videobot_log_fields", default=_NONE)


def bind(**fields: int | str | None) -> None:
    """Add fields to every later log line of the current task (None leaves a field out)."""
    _fields.set({**_fields.get(), **{k: v for k, v in fields.items() if v is not None}})


def bound() -> Mapping[str, int | str]:
    """The fields bound in the current context."""
    return _fields.get()


def job_context(job_id: int, guild_id: int, shard_count: int, task_id: str | None = None) -> contextvars.Context:
    """A context for a job's task: a copy of the current one with the job's IDs bound."""
    context = contextvars.copy_context()
    context.run(bind, job_id=job_id, guild_id=guild_id, shard_id=shard_of(guild_id, shard_count), task_id=task_id)
    return context
