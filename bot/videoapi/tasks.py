"""Pure helpers for task status: ID prefixes, endpoint paths, and what every status shape means.

Three sources answer a task's status in this vendor family, each its own way: `GET /v1/videos/{id}`
(seed 000: `detail.pending_info.progress_pct` as a 0..1 fraction), `GET /v1/video/query?id=` (seeds
001/002: `upsample_video_url`, stale error fields on success) and the chat answer's Raw Data page
(`https://asyncdata.net/source/<id>`: `status`, `url`, `failure_reason`, `running`, and for Veo the
stage words `video_generating`, `video_upsampling`). `parse_task` reads them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from bot.core.scrub import plain
from bot.core.urls import safe_media_url

from .failure_codes import failure_code

__all__ = [
    "NO_REASON",
    "TaskEndpoint",
    "TaskState",
    "TaskStatus",
    "full_task_id",
    "normalize_status",
    "parse_task",
    "task_id_forms",
    "task_path",
]

TaskState = Literal["pending", "queued", "generating", "completed", "failed", "unknown"]

_STATUS_WORDS: dict[str, TaskState] = {
    **dict.fromkeys(
        ("pending", "created", "submitted", "new", "init", "initializing", "not_start", "not_started",
         "accepted", "scheduled"),
        "pending",
    ),
    **dict.fromkeys(("queued", "queuing", "queueing", "in_queue", "waiting", "wait"), "queued"),
    **dict.fromkeys(
        ("processing", "in_progress", "running", "generating", "started", "rendering", "active",
         "upsampling", "progress", "working", "video_generating", "video_generation_running",
         "video_upsampling"),
        "generating",
    ),
    **dict.fromkeys(
        ("completed", "complete", "success", "succeeded", "successful", "succeed", "done", "finished",
         "ready", "video_generation_completed"),
        "completed",
    ),
    **dict.fromkeys(
        ("failed", "failure", "fail", "error", "errored", "rejected", "cancelled", "canceled", "expired",
         "timeout", "timed_out", "blocked", "moderated"),
        "failed",
    ),
}
_STATUS_HINTS: tuple[tuple[str, TaskState], ...] = (
    ("fail", "failed"),
    ("error", "failed"),
    ("reject", "failed"),
    ("cancel", "failed"),
    ("success", "completed"),
    ("complet", "completed"),
    ("queue", "queued"),
    ("process", "generating"),
    ("progress", "generating"),
    ("running", "generating"),
    ("generat", "generating"),
    ("pend", "pending"),
)
_RANK: dict[TaskState, int] = {"unknown": -1, "pending": 0, "queued": 1, "generating": 2}
_SEPARATORS = re.compile(r"[\s\-]+")
# A failed task that gives no reason (a Raw Data page may say only `"status": "failed"`) reads this.
NO_REASON = "The video service says this video failed, without saying why."
_NO_REASON = frozenset({"null", "none", "undefined", "nil", "error", "failed", "failure", "-"})


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """A task's normalised status; `raw` is the vendor's JSON for debugging."""

    state: TaskState
    progress: int | None = None
    video_url: str | None = None
    preview_url: str | None = None
    error: str | None = None
    code: str | None = None  # the vendor's failure code (sentinel_block, moderation_blocked, …), if it gave one
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_final(self) -> bool:
        """True for completed and failed."""
        return self.state in ("completed", "failed")


TaskEndpoint = Literal["videos", "query"]


def full_task_id(task_id: str, prefix: str | None = None) -> str:
    """Prefix a bare `task_…` ID (as the chat stream shows it) the way the task endpoints want it.

    Resellers file every sora task under one prefix ("sora-2:task_…", the pro model's too), so the prefix
    comes from the provider profile, not from the model's name. An ID that has a prefix keeps it.
    """
    task_id = task_id.strip()
    if ":" in task_id or not prefix:
        return task_id
    return f"{prefix}:{task_id}"


def task_id_forms(task_id: str, prefixes: Iterable[str] = ()) -> tuple[str, ...]:
    """Every spelling the task endpoints may know a task by, the likeliest first.

    A bare `task_…` ID (as a chat answer shows a sora task) gets each prefix the profile lists, since resellers
    file "sora-2-pro" tasks as `sora-2-pro:task_…` or as `sora-2:task_…`; an ID prefixed with one of those is
    tried under the others too. Any other prefixed ID (`veo3-pro:<uuid>`, `grok:<uuid>`) is the task's own
    full ID, as the chat answer or the create call gave it, and is asked as it is.
    """
    task_id = task_id.strip()
    known = tuple(prefixes)
    head, _, bare = task_id.partition(":")
    if not bare:
        bare, head = head, ""
    elif head not in known:
        return (task_id,)
    forms = [task_id] if head else []
    forms += [f"{prefix}:{bare}" for prefix in known]
    return tuple(dict.fromkeys(forms)) or (task_id,)


def task_path(task_id: str, endpoint: TaskEndpoint) -> tuple[str, dict[str, str]]:
    """The request for a task's status: (path, query parameters).

    Seed 000 documents `GET /v1/videos/{id}` (the OpenAI-style shape); seeds 001/002 `GET /v1/video/query?id=`.
    """
    if endpoint == "videos":
        return f"/v1/videos/{quote(task_id, safe=':')}", {}
    return "/v1/video/query", {"id": task_id}


def normalize_status(word: object) -> TaskState:
    """Map a vendor status word to a TaskState; anything unrecognised is "unknown", never an error."""
    if not isinstance(word, str) or not word.strip():
        return "unknown"
    key = _SEPARATORS.sub("_", word.strip().lower())
    if key in _STATUS_WORDS:
        return _STATUS_WORDS[key]
    for hint, state in _STATUS_HINTS:
        if hint in key:
            return state
    return "unknown"


def _dicts(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The objects a status may hide in: the body, `detail`, `detail.pending_info`, `data`, `content`."""
    found: list[Mapping[str, Any]] = [raw]
    for key in ("detail", "data", "content"):
        inner = raw.get(key)
        if isinstance(inner, Mapping):
            found.append(inner)
            pending = inner.get("pending_info")
            if isinstance(pending, Mapping):
                found.append(pending)
    return found


def _first_str(objs: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> Iterator[str]:
    for key in keys:
        for obj in objs:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                yield value.strip()


def _progress(value: object, *, fraction: bool) -> int | None:
    """A percentage from any of the forms seen: 0.93 (a fraction), 36, "0", "36", "36%", "36.5%"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        is_pct = text.endswith("%")
        number = text.rstrip("%").strip()
        try:
            # "36" means 36 % like the integer 36 does; only a decimal string can be a fraction.
            value = int(number) if number.isdigit() else float(number)
        except ValueError:
            return None
        fraction = fraction and not is_pct
        if is_pct:
            value = float(value) if isinstance(value, float) else value
            return max(0, min(100, round(value)))
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    # A 0..1 fraction when documented as one (progress_pct), or when a float plainly is one.
    if (fraction or isinstance(value, float)) and 0 <= value <= 1:
        value = value * 100
    return max(0, min(100, round(value)))


def parse_task(raw: Mapping[str, Any], trusted_origins: Iterable[str] = ()) -> TaskStatus:
    """Normalise a task-query response (seeds 000, 001, 002) into a TaskStatus."""
    objs = _dicts(raw)
    trusted = tuple(trusted_origins)
    states = [normalize_status(obj.get("status")) for obj in objs if "status" in obj]
    if not states:
        states = [normalize_status(obj.get("state")) for obj in objs if "state" in obj]

    video_url = next(
        (
            safe
            for url in _first_str(objs, ("upsample_video_url", "video_url", "url", "output_url", "output"))
            if (safe := safe_media_url(url, trusted))
        ),
        None,
    )
    preview_url = next(
        (
            safe
            for url in _first_str(objs, ("thumbnail_url", "preview_url", "cover_url", "image_url"))
            if (safe := safe_media_url(url, trusted))
        ),
        None,
    )
    progress = None
    for obj in objs:
        for key, fraction in (("progress_pct", True), ("progress", False), ("percent", False)):
            if key in obj and (p := _progress(obj[key], fraction=fraction)) is not None:
                progress = p if progress is None else max(progress, p)

    # The Raw Data page says `running: true` while the high-quality version is still being made, even
    # after the first cut is complete: that is not the end yet.
    if any(obj.get("running") is True for obj in objs):
        states = ["generating" if s == "completed" else s for s in states]
    # Seed 002: error fields may be filled even on success; a completed task with a video wins.
    if "completed" in states and video_url:
        return TaskStatus("completed", 100, video_url, preview_url, None, raw=dict(raw))
    if "failed" in states:
        error = next(
            _first_str(
                objs,
                ("failure_reason", "error_message", "fail_reason", "video_generation_error", "message"),
            ),
            None,
        )
        if error is None:
            for obj in objs:
                err = obj.get("error")
                if isinstance(err, str) and err.strip():
                    error = err.strip()
                elif isinstance(err, Mapping) and isinstance(err.get("message"), str):
                    error = err["message"].strip()
                if error:
                    break
        code = failure_code(_explicit_code(objs), [error])
        return TaskStatus("failed", progress, None, preview_url, _short(error), code, raw=dict(raw))
    if "completed" in states:
        # Completed but no usable link yet (or only a non-https one): report it; the caller decides.
        return TaskStatus("completed", 100, None, preview_url, None, raw=dict(raw))
    state: TaskState = max(states, key=_RANK.__getitem__, default="unknown")
    if state in ("pending", "queued") and progress:
        state = "generating"
    return TaskStatus(state, progress, None, preview_url, None, raw=dict(raw))


def _explicit_code(objs: Iterable[Mapping[str, Any]]) -> object:
    """A failure's code field: `error.code`, `error_code`, `failure_code` or `code` (a word, not a number)."""
    for obj in objs:
        err = obj.get("error")
        if isinstance(err, Mapping) and isinstance(err.get("code"), str):
            return err["code"]
        for key in ("error_code", "failure_code", "code"):
            if isinstance(obj.get(key), str):
                return obj[key]
    return None


def _short(text: str | None) -> str:
    if not text or text.strip().lower() in _NO_REASON:
        return NO_REASON
    text = plain(" ".join(text.split()))
    text = "".join(ch for ch in text if ch.isprintable())
    if len(text) > 200:
        text = text[:200].rsplit(" ", 1)[0] + "…"
    return text
