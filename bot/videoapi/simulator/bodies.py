"""Pure: what each status source of the simulated vendor answers about a task at one moment.

Three shapes, one per source, each with its own progress form, as the public evidence shows them:
`GET /v1/videos/{id}` (seed 000: top-level "pending" while `detail.pending_info` says "processing",
progress as a 0..1 `progress_pct`), `GET /v1/video/query` (seeds 001/002: `upsample_video_url`, stale
error fields on success; progress as "NN%", as Comfly's clients of this family read it) and the Raw Data
page (`status`, `url`, `failure_reason`, `running`; Veo tasks say `video_generating`/`video_upsampling`
and carry `video_url`/`upsample_video_url`, as apicore's integration notes show).
"""

from __future__ import annotations

import time
from typing import Any

from .dialects import Links
from .scenario import SimTask

__all__ = ["query_body", "raw_data_body", "videos_body"]


def _now_ms() -> int:
    return int(time.time() * 1000)


def videos_body(task: SimTask, state: str, progress: int | None, links: Links) -> dict[str, Any]:
    """Seed 000's shape."""
    detail: dict[str, Any] = {
        "id": task.bare_id,
        "input": {"prompt": task.prompt, "orientation": task.orientation, "size": "small",
                  "images": list(task.images)},
        "status": "pending",
    }
    body: dict[str, Any] = {"id": task.full_id, "detail": detail, "status": "pending", "status_update_time": _now_ms()}
    if state in ("queued", "generating"):
        detail["pending_info"] = {
            "id": task.bare_id,
            "status": "queued" if state == "queued" else "processing",
            "progress_pct": None if progress is None else progress / 100,
            "failure_reason": None,
        }
    elif state == "completed":
        body.update(status="completed", video_url=links.video, thumbnail_url=links.preview)
        detail["status"] = "completed"
    elif state == "failed":
        body["status"] = detail["status"] = "failed"
        if not task.scenario.failure_without_reason:
            detail["failure_reason"] = task.scenario.reason
        if task.scenario.refusal_code:  # OpenAI's video object: error.code and error.message
            body["error"] = {"code": task.scenario.refusal_code, "message": task.scenario.reason}
    return body


def query_body(task: SimTask, state: str, progress: int | None, links: Links) -> dict[str, Any]:
    """Seeds 001/002's shape, with `upsample_video_url` and stale error fields on success."""
    word = {"pending": "pending", "queued": "queued", "generating": "processing"}.get(state, state)
    detail: dict[str, Any] = {"id": task.full_id, "status": word, "running": state in ("queued", "generating")}
    if progress is not None:
        detail["progress"] = f"{progress}%"
    body: dict[str, Any] = {"id": task.full_id, "detail": detail, "status": word, "video_url": None,
                            "status_update_time": _now_ms()}
    if state == "completed":
        body["video_url"] = links.sd_video
        detail.update(video_url=links.sd_video, upsample_video_url=links.video,
                      error_message="[403] an earlier attempt failed and was retried")
    elif state == "failed" and not task.scenario.failure_without_reason:
        detail["error_message"] = task.scenario.reason
    return body


def raw_data_body(task: SimTask, state: str, progress: int | None, links: Links) -> dict[str, Any]:
    """The Raw Data page a chat answer links to."""
    running = state in ("pending", "queued", "generating")
    body: dict[str, Any] = {"id": task.shown_id, "running": running, "status_update_time": _now_ms()}
    if task.scenario.dialect == "veo" or task.origin == "create":
        stage = "video_upsampling" if task.scenario.preview and (progress or 0) >= 50 else "video_generating"
        body["status"] = {"generating": stage}.get(state, state)
        if state == "completed":
            body.update(video_url=links.sd_video, upsample_video_url=links.video)
    else:
        body["status"] = {"queued": "pending", "generating": "processing"}.get(state, state)
        body["progress"] = progress or 0
        if state == "completed":
            body["url"] = links.video
    if state == "failed" and not task.scenario.failure_without_reason:
        body["failure_reason"] = task.scenario.reason
    return body
