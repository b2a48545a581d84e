"""Which API key a vendor call carries: the bot's, unless the job being worked on belongs to a server that pays
with its own key. The job's task sets it once (`paying_with`), and every request made inside that task and its
children (the stream, a recovery's polls, a refresh) carries it, with no key threaded through the call chain."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_JOB_KEY: ContextVar[str | None] = ContextVar("video_api_job_key", default=None)


@contextlib.contextmanager
def paying_with(api_key: str | None) -> Iterator[None]:
    """Inside the block, vendor calls use `api_key` (None: the bot's own key)."""
    token = _JOB_KEY.set(api_key or None)
    try:
        yield
    finally:
        _JOB_KEY.reset(token)


def key_for_this_call(default: str | None) -> str | None:
    """The key the current call must carry: the job's server's own key if set, else `default`."""
    return _JOB_KEY.get() or default
