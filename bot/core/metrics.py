"""Every Prometheus metric the bot exports, defined once, in the lowest layer so that every layer may record.

Recording happens at the seams that already exist (the job listeners, the presenter, the REST trace, the
video API's transport, the media workers, the quota service); the operator's listener (bot/core/ops.py) serves
them at /metrics. They live in prometheus-client's default registry, which also carries its process metrics
(resident memory, CPU seconds, open files). Label values are bounded sets: never a prompt, an ID or a token.
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Final

from prometheus_client import Counter, Gauge, Histogram

# From a second to an hour: a video takes minutes, a task ID seconds.
_JOB_SECONDS: Final = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
_REQUEST_SECONDS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

# --- jobs ---------------------------------------------------------------------------------------------
JOBS_ADMITTED = Counter("videobot_jobs_admitted", "Videos accepted (and charged)", ["provider", "model"])
JOBS_ENDED = Counter(
    "videobot_jobs_ended", "Videos ended, by final state and why", ["state", "provider", "model", "error_kind"]
)
JOBS_ACTIVE = Gauge("videobot_jobs_active", "Videos this process holds now, by state", ["state"])
QUEUE_DEPTH = Gauge("videobot_queue_depth", "Videos waiting in this process's line for a place")
QUEUE_WAIT = Histogram(
    "videobot_queue_wait_seconds", "From admission to generating (observed when the video ends)", buckets=_JOB_SECONDS
)
TIME_TO_TASK_ID = Histogram(
    "videobot_time_to_task_id_seconds", "From generating to the vendor's task ID", ["provider", "model"],
    buckets=_JOB_SECONDS,
)
TIME_TO_FIRST_PROGRESS = Histogram(
    "videobot_time_to_first_progress_seconds", "From generating to the first percentage", ["provider", "model"],
    buckets=_JOB_SECONDS,
)
TIME_TO_VIDEO_SHOWN = Histogram(
    "videobot_time_to_video_shown_seconds", "From generating to the finished video shown in Discord",
    ["provider", "model"], buckets=_JOB_SECONDS,
)

# --- the video service ----------------------------------------------------------------------------------
VENDOR_REQUESTS = Counter("videobot_vendor_requests", "Requests to the video API, by HTTP status class", ["status"])
VENDOR_ERRORS = Counter("videobot_vendor_errors", "Errors from the video API, by kind", ["kind"])
VENDOR_LAST_ANSWER = Gauge("videobot_vendor_last_answer_timestamp_seconds", "When the video API last answered")

# --- Discord --------------------------------------------------------------------------------------------
DISCORD_REQUESTS = Counter(
    "videobot_discord_requests", "Discord REST requests, by route and status", ["route", "status"]
)
DISCORD_429 = Counter("videobot_discord_429", "Discord REST answers 429, by route and scope", ["route", "scope"])
DISCORD_LATENCY = Histogram(
    "videobot_discord_request_seconds", "Discord REST latency, from sending to the response head", ["route"],
    buckets=_REQUEST_SECONDS,
)
PROGRESS_EDITS = Counter("videobot_progress_edits", "Progress message edits made, by kind", ["kind"])
PROGRESS_EDIT_BUDGET = Gauge(
    "videobot_progress_edit_budget_per_second", "Progress edits a second this process may make"
)

# --- leases ---------------------------------------------------------------------------------------------
LEASES_HELD = Gauge("videobot_leases_held", "Job leases this process holds", ["shards"])
LEASES_ADOPTED = Counter("videobot_leases_adopted", "Jobs adopted from a stopped process", ["shards"])
LEASES_RELEASED = Counter("videobot_leases_released", "Jobs released for another process on shutdown", ["shards"])

# --- media workers --------------------------------------------------------------------------------------
MEDIA_WORK = Histogram(
    "videobot_media_work_seconds", "Media worker run time, by operation", ["op"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)
MEDIA_PEAK_RSS = Gauge("videobot_media_worker_peak_rss_bytes", "Largest resident memory of any media worker so far")

# --- quota units ----------------------------------------------------------------------------------------
UNITS = Counter("videobot_units", "Quota units, by what happened to them", ["event"])  # reserved, charged, refunded
# What the units cost in money (bot.quotas.spending): only videos members received; payer is "bot" (the operator's
# key) or "server" (the server's own key).
SPEND = Counter("videobot_spend_micros", "Money videos cost, in millionths of the currency", ["currency", "payer"])

# --- the process ----------------------------------------------------------------------------------------
LOOP_LAG = Gauge("videobot_event_loop_lag_seconds", "How late the event loop last woke a timer")
SHUTTING_DOWN = Gauge("videobot_shutting_down", "1 while this process hands its jobs over and stops")

# Linux reports ru_maxrss in KiB, macOS in bytes.
_RSS_UNIT: Final = 1 if sys.platform == "darwin" else 1024


class _Pulse:
    """When the video API last answered, on the monotonic clock (None: not yet), for readiness."""

    at: float | None = None


def vendor_answered(status: int) -> None:
    """The video API sent a response head (any status: it is alive and reachable)."""
    VENDOR_REQUESTS.labels(f"{status // 100}xx").inc()
    VENDOR_LAST_ANSWER.set(time.time())
    _Pulse.at = time.monotonic()


def vendor_silent_for() -> float | None:
    """Seconds since the video API last answered this process; None if it never did."""
    return None if _Pulse.at is None else time.monotonic() - _Pulse.at


def media_worker_ended(op: str, seconds: float) -> None:
    """A media worker process ran `op` for `seconds` and was reaped: its peak memory is now the children's."""
    MEDIA_WORK.labels(op).observe(seconds)
    MEDIA_PEAK_RSS.set(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * _RSS_UNIT)
