"""A local stand-in for the vendor: same endpoints and formats, deterministic, scriptable, no key, no cost.

Used by `--simulate` (which points the real client at it) and by the tests. Every generation request takes
the next enqueued `Scenario` (FIFO), else the default one. Links it returns contain `simulated` and point at
its own `/media/` route, which serves deterministic bytes of the configured size. Since that is plain
http on 127.0.0.1, callers must list `Simulator.media_origin` in their trusted media origins.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import struct
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from aiohttp import web

__all__ = ["CHUNKS_THROUGH_TASK_ID", "RecordedRequest", "Scenario", "SimTask", "Simulator"]

log = logging.getLogger(__name__)

# The chat stream writes: a role chunk, 11 chunks of JSON block, an empty delta, then the chunk with the
# task ID. `drop_after_chunks=CHUNKS_THROUGH_TASK_ID` drops right after the ID; anything less, before it.
_JSON_PIECES = 11
CHUNKS_THROUGH_TASK_ID = 1 + _JSON_PIECES + 1 + 1
_ID_PIECE = _JSON_PIECES + 1  # index of the ID piece in Simulator._script()

_MEDIA_NAME = re.compile(r"simulated_(task_[0-9a-f]+)(_sd)?\.(mp4|webp)")

_LABELS = {
    "en": {
        "id": "> ID: `{id}`",
        "links": ">[Data Preview]({base}/web/{id}) | [Raw Data]({base}/source/{id})",
        "queue": "> Queuing.",
        "generating": "> Generating",
        "progress": ">🏃 Progress ",
        "complete": "> Generation Complete ✅",
        "preview": "![{preview}]({preview})",
        "play": "[Play Online▶️]({video})",
        "failed": "> ❌ Generation failed: {reason}",
        "refused": "> ❌ {reason}",
    },
    "zh": {
        "id": "> 任务ID：`{id}`",
        "links": "> [数据预览]({base}/web/{id}) | [原始数据]({base}/source/{id})",
        "queue": "> 排队中.",
        "generating": "> 生成中",
        "progress": ">🏃 进度 ",
        "complete": "> 生成完成 ✅",
        "preview": "![预览图]({preview})",
        "play": "[在线播放▶️]({video})",
        "failed": "> ❌ 生成失败：{reason}",
        "refused": "> ❌ 生成失败：{reason}",
    },
}

_ERRORS = {
    400: ("invalid_request_error", "content_policy_violation"),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "model_not_allowed"),
    404: ("invalid_request_error", "not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}
_ERROR_MESSAGES = {
    401: "Invalid API key.",
    403: "This key may not use this model.",
    404: "Not found.",
    429: "Rate limit reached, please retry later.",
}


@dataclass(frozen=True)
class Scenario:
    """How the simulator answers one generation request."""

    queue_steps: int = 2
    progress_steps: tuple[int, ...] = (12, 36, 61, 88)
    step_delay: float = 0.0  # seconds between status steps (and the pace of task polling, if > 0)
    outcome: Literal["success", "refusal", "failure"] = "success"
    refusal_reason: str = "Content policy violation: similarity to third-party content"
    failure_reason: str = "The video could not be rendered. Please try again."
    drop_after_chunks: int | None = None  # close the connection after this many data chunks
    http_status: int | None = None  # answer with this HTTP error instead of generating...
    http_error_times: int = 1  # ...for this many requests, then generate
    retry_after: float | None = None  # Retry-After header on the error
    error_style: Literal["nested", "flat"] = "nested"
    language: Literal["en", "zh"] = "en"
    video_bytes: int = 64 * 1024
    preview_bytes: int = 2 * 1024
    keepalive: bool = False  # `: keep-alive` comments before each step
    chunk_size: int | None = None  # None: one write per SSE event; N: re-chunk every event into N-byte writes
    line_ending: Literal["\n", "\r\n", "\r"] = "\n"
    data_space: bool = True  # "data: {…}" or "data:{…}"
    send_done: bool = True  # finish with `data: [DONE]`
    status_in_reasoning: bool = False  # status lines in delta.reasoning_content instead of delta.content

    @classmethod
    def demo(cls) -> Scenario:
        """Defaults for `--simulate`: feels real, takes about five seconds."""
        return cls(queue_steps=3, progress_steps=(8, 23, 41, 57, 74, 92), step_delay=0.5, keepalive=True)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; the Authorization header itself is never kept."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    has_authorization: bool


@dataclass
class SimTask:
    """A generation known to the simulator, whether started by chat or by /v1/video/create."""

    bare_id: str
    model: str
    prompt: str
    scenario: Scenario
    sid: str
    created: float
    step: int = 0
    timeline: list[tuple[str, int | None]] = field(default_factory=list)
    orientation: str = "portrait"

    @property
    def full_id(self) -> str:
        """The ID with its model prefix, as the task endpoints use it."""
        return f"{self.model}:{self.bare_id}"

    @property
    def last_step(self) -> int:
        """Index of the final state in the timeline."""
        return len(self.timeline) - 1


class _Dropped(Exception):
    """The scenario asked to drop the connection."""


class Simulator:
    """The vendor API on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        default: Scenario | None = None,
        *,
        api_key: str | None = None,
        media_base_url: str | None = None,
        prompt_keywords: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests: list[RecordedRequest] = []
        self.tasks: dict[str, SimTask] = {}
        self.base_url: str | None = None
        self._default = default or Scenario()
        self._default_errors = 0
        self._queue: deque[Scenario] = deque()
        self._queue_errors = 0
        self._api_key = api_key
        self._media_base = media_base_url.rstrip("/") if media_base_url else None
        # Demo convenience: "refuse", "fail" or "drop" in a prompt picks that outcome (default scenario only).
        self.prompt_keywords = prompt_keywords
        self._clock = clock
        self._counter = 0
        self._runner: web.AppRunner | None = None
        self.app = web.Application(middlewares=[self._record])
        self.app.router.add_post("/v1/chat/completions", self._chat)
        self.app.router.add_post("/v1/video/create", self._create)
        self.app.router.add_get("/v1/videos/{task_id}", self._query_videos)
        self.app.router.add_get("/v1/video/query", self._query)
        self.app.router.add_get("/v1/models", self._models)
        self.app.router.add_get("/media/{name}", self._media)

    @classmethod
    def for_demo(cls) -> Simulator:
        """A simulator configured for `--simulate`: demo pacing and prompt keywords on."""
        return cls(Scenario.demo(), prompt_keywords=True)

    # -- control ----------------------------------------------------------------------------------------

    @property
    def default(self) -> Scenario:
        """The scenario used when nothing is enqueued."""
        return self._default

    def set_default(self, scenario: Scenario) -> None:
        """Replace the default scenario."""
        self._default = scenario
        self._default_errors = 0

    def enqueue(self, *scenarios: Scenario) -> None:
        """Script the next generation requests, first in first out."""
        self._queue.extend(scenarios)

    def task(self, task_id: str) -> SimTask | None:
        """Look a task up by bare or model-prefixed ID."""
        return self.tasks.get(task_id.rsplit(":", 1)[-1])

    def streamed_text(self, task_id: str) -> str:
        """The assistant text the chat stream of a task carries (content channel only), for exact comparisons."""
        task = self.task(task_id)
        if task is None:
            raise KeyError(task_id)
        return "".join(piece for channel, piece, _ in self._script(task) if channel == "content")

    @property
    def media_origin(self) -> str:
        """The origin media links point at; add it to the trusted media origins."""
        base = self._media_base or self.base_url
        if base is None:
            raise RuntimeError("Simulator not started")
        return base

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); return the base URL."""
        self._runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        log.info("video API simulator listening on %s", self.base_url)
        return self.base_url

    async def close(self) -> None:
        """Stop serving; idempotent."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # -- plumbing ---------------------------------------------------------------------------------------

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        has_auth = "Authorization" in request.headers
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.query), body, headers, has_auth)
        )
        authorized = request.headers.get("Authorization") == f"Bearer {self._api_key}"
        if self._api_key and request.path.startswith("/v1/") and not authorized:
            return self._error(401, "nested")
        return await handler(request)

    def _pick(self, prompt: str) -> tuple[Scenario, bool]:
        """The scenario for a generation request, and whether this request gets its HTTP error."""
        if self._queue:
            scenario = self._queue[0]
            if scenario.http_status and self._queue_errors < scenario.http_error_times:
                self._queue_errors += 1
                return scenario, True
            self._queue.popleft()
            self._queue_errors = 0
            return scenario, False
        scenario = self._default
        if scenario.http_status and self._default_errors < scenario.http_error_times:
            self._default_errors += 1
            return scenario, True
        if self.prompt_keywords:
            lowered = prompt.lower()
            if "refuse" in lowered:
                scenario = replace(scenario, outcome="refusal")
            elif "fail" in lowered:
                scenario = replace(scenario, outcome="failure")
            elif "drop" in lowered:
                scenario = replace(scenario, drop_after_chunks=CHUNKS_THROUGH_TASK_ID)
        return scenario, False

    def _error(self, status: int, style: str, *, reason: str = "", retry_after: float | None = None) -> web.Response:
        etype, code = _ERRORS.get(status, ("server_error", "service_unavailable"))
        message = reason if status == 400 and reason else _ERROR_MESSAGES.get(
            status, "The upstream service is temporarily unavailable."
        )
        body: dict[str, Any] = (
            {"error": {"message": message, "type": etype, "code": code}}
            if style == "nested"
            else {"code": status, "message": message}
        )
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
        return web.json_response(body, status=status, headers=headers)

    def _scenario_error(self, scenario: Scenario) -> web.Response:
        assert scenario.http_status is not None
        return self._error(
            scenario.http_status, scenario.error_style, reason=scenario.refusal_reason,
            retry_after=scenario.retry_after,
        )

    def _new_task(self, model: str, prompt: str, scenario: Scenario, orientation: str = "portrait") -> SimTask:
        self._counter += 1
        digest = hashlib.sha1(f"simulated-{self._counter}".encode()).hexdigest()
        task = SimTask(
            bare_id=f"task_{digest[:26]}",
            model=model,
            prompt=prompt,
            scenario=scenario,
            sid=f"s_{hashlib.sha1(f'sid-{self._counter}'.encode()).hexdigest()[:32]}",
            created=self._clock(),
            orientation=orientation,
        )
        final = "completed" if scenario.outcome == "success" else "failed"
        task.timeline = (
            [("pending", None)]
            + [("queued", None)] * max(1, scenario.queue_steps)
            + [("generating", p) for p in scenario.progress_steps]
            + [(final, 100 if final == "completed" else None)]
        )
        self.tasks[task.bare_id] = task
        return task

    def _media_url(self, task: SimTask, ext: str, suffix: str = "") -> str:
        return f"{self.media_origin}/media/simulated_{task.bare_id}{suffix}.{ext}"

    # -- chat -------------------------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
            model = body["model"]
            messages = body["messages"]
            prompt = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
            if not isinstance(model, str) or not isinstance(prompt, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, StopIteration, AttributeError):
            return self._error(400, "nested", reason="model and messages with a user turn are required")
        scenario, fail = self._pick(prompt)
        if fail:
            return self._scenario_error(scenario)
        orientation = body.get("orientation") if body.get("orientation") in ("portrait", "landscape") else "portrait"
        task = self._new_task(model, prompt, scenario, orientation)
        if not body.get("stream"):
            text = "".join(piece for _, piece, _ in self._script(task))
            return web.json_response(
                {
                    "id": f"chatcmpl-{task.bare_id}",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                }
            )
        return await self._stream(request, task)

    def _script(self, task: SimTask) -> list[tuple[str, str, int | None]]:
        """The assistant text as (channel, piece, timeline step it reaches) in streaming order.

        A piece that reaches a step is preceded by a pause (`step_delay`, keep-alives), except the ID.
        """
        sc = task.scenario
        lab = _LABELS[sc.language]
        status = "reasoning_content" if sc.status_in_reasoning else "content"
        prompt = json.dumps(task.prompt, ensure_ascii=False)
        pieces: list[tuple[str, str, int | None]] = [
            ("content", p, None)
            for p in ("```", "json", "\n", "{\n", '  "prompt": ', prompt, ",\n", '  "orientation": ',
                      json.dumps(task.orientation), "\n}\n", "```")
        ]
        pieces.append(("", "", None))  # the empty delta seen in the seed
        head = "\n".join((lab["id"], lab["links"], lab["queue"])).format(id=task.bare_id, base=self.base_url)
        pieces.append((status, "\n\n" + head, 1))
        queue = max(1, sc.queue_steps)
        pieces += [(status, ".", 1 + i) for i in range(sc.queue_steps)]
        pieces.append((status, "\n" + lab["generating"], None))
        pieces.append((status, ".", 1 + queue))
        if sc.progress_steps:
            pieces.append((status, "\n\n" + lab["progress"], None))
            pieces += [(status, f"{p}..", 1 + queue + i) for i, p in enumerate(sc.progress_steps)]
        if sc.outcome == "success":
            video, preview = self._media_url(task, "mp4"), self._media_url(task, "webp")
            tail = "\n".join(
                (lab["complete"], f"> sid: {task.sid}", "", lab["preview"].format(preview=preview),
                 lab["play"].format(video=video))
            )
        elif sc.outcome == "refusal":
            tail = lab["refused"].format(reason=sc.refusal_reason)
        else:
            tail = lab["failed"].format(reason=sc.failure_reason)
        pieces.append(("content", "\n\n" + tail, task.last_step))
        return pieces

    async def _stream(self, request: web.Request, task: SimTask) -> web.StreamResponse:
        sc = task.scenario
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        le = sc.line_ending
        prefix = "data: " if sc.data_space else "data:"
        chunk_id = f"chatcmpl-{task.bare_id}"
        sent = 0

        async def write(raw: str) -> None:
            data = raw.encode("utf-8")
            size = sc.chunk_size or len(data)
            for i in range(0, len(data), size):
                await resp.write(data[i : i + size])

        async def event(delta: dict[str, Any], finish: str | None = None) -> None:
            nonlocal sent
            chunk = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": task.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await write(prefix + json.dumps(chunk, ensure_ascii=False) + le + le)
            sent += 1
            if sc.drop_after_chunks is not None and sent >= sc.drop_after_chunks:
                raise _Dropped

        async def pause() -> None:
            # Keep-alives go out mid-pause, as a real upstream's would during a long queue.
            if sc.keepalive:
                await asyncio.sleep(sc.step_delay / 2)
                await write(": keep-alive" + le + le)
                await asyncio.sleep(sc.step_delay / 2)
            elif sc.step_delay:
                await asyncio.sleep(sc.step_delay)

        try:
            if sc.keepalive:
                await write(": keep-alive" + le + le)
            await event({"role": "assistant", "content": ""})
            for index, (channel, piece, step) in enumerate(self._script(task)):
                if step is not None and index > _ID_PIECE:
                    await pause()
                await event({channel: piece} if channel else {})
                if step is not None:
                    task.step = max(task.step, step)
            await event({}, "stop")
            if sc.send_done:
                await write(prefix + "[DONE]" + le + le)
        except _Dropped:
            log.debug("simulator dropping the stream of %s after %d chunks", task.bare_id, sent)
            if request.transport is not None:
                request.transport.close()
            return resp
        await resp.write_eof()
        return resp

    # -- tasks ------------------------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
            model, prompt = body["model"], body["prompt"]
            if not isinstance(model, str) or not isinstance(prompt, str) or not prompt.strip():
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return self._error(400, "nested", reason="model and prompt are required")
        scenario, fail = self._pick(prompt)
        if fail:
            return self._scenario_error(scenario)
        task = self._new_task(model, prompt, scenario)
        return web.json_response(
            {"id": task.full_id, "status": "pending", "status_update_time": int(time.time() * 1000)}
        )

    def _advance(self, task: SimTask) -> tuple[str, int | None]:
        """Each query moves a task one step on; with a step delay, time moves it too."""
        step = task.step + 1
        if task.scenario.step_delay > 0:
            step = max(step, int((self._clock() - task.created) / task.scenario.step_delay))
        task.step = min(step, task.last_step)
        return task.timeline[task.step]

    def _lookup(self, task_id: str) -> SimTask | None:
        return self.tasks.get(task_id.rsplit(":", 1)[-1])

    async def _query_videos(self, request: web.Request) -> web.Response:
        """Seed 000 shape: top-level status stays "pending" while pending_info says "processing"."""
        task = self._lookup(request.match_info["task_id"])
        if task is None:
            return self._error(404, "nested")
        state, progress = self._advance(task)
        now = int(time.time() * 1000)
        detail: dict[str, Any] = {
            "id": task.bare_id,
            "input": {"prompt": task.prompt, "orientation": "portrait", "size": "small"},
            "status": "pending",
        }
        body: dict[str, Any] = {"id": task.full_id, "detail": detail, "status": "pending",
                                "status_update_time": now}
        if state in ("queued", "generating"):
            detail["pending_info"] = {
                "id": task.bare_id,
                "status": "queued" if state == "queued" else "processing",
                "progress_pct": None if progress is None else progress / 100,
                "failure_reason": None,
            }
        elif state == "completed":
            body.update(status="completed", video_url=self._media_url(task, "mp4"),
                        thumbnail_url=self._media_url(task, "webp"))
            detail["status"] = "completed"
        elif state == "failed":
            body["status"] = detail["status"] = "failed"
            detail["failure_reason"] = _reason(task.scenario)
        return web.json_response(body)

    async def _query(self, request: web.Request) -> web.Response:
        """Seeds 001/002 shape, with `upsample_video_url` and stale error fields on success."""
        task = self._lookup(request.query.get("id", ""))
        if task is None:
            return self._error(404, "nested")
        state, progress = self._advance(task)
        word = {"pending": "pending", "queued": "queued", "generating": "processing"}.get(state, state)
        detail: dict[str, Any] = {"id": task.full_id, "status": word, "progress": progress,
                                  "running": state == "generating"}
        body: dict[str, Any] = {"id": task.full_id, "detail": detail, "status": word, "video_url": None,
                                "status_update_time": int(time.time() * 1000)}
        if state == "completed":
            sd, hd = self._media_url(task, "mp4", "_sd"), self._media_url(task, "mp4")
            body["video_url"] = sd
            detail.update(video_url=sd, upsample_video_url=hd,
                          error_message="[403] an earlier attempt failed and was retried")
        elif state == "failed":
            detail["error_message"] = _reason(task.scenario)
        return web.json_response(body)

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "sora-2", "object": "model"}]})

    # -- media ------------------------------------------------------------------------------------------

    async def _media(self, request: web.Request) -> web.Response:
        m = _MEDIA_NAME.fullmatch(request.match_info["name"])
        task = self.tasks.get(m.group(1)) if m else None
        if m is None or task is None:
            return web.Response(status=404, text="not found")
        name = request.match_info["name"]
        if m.group(3) == "mp4":
            return web.Response(body=simulated_video(name, task.scenario.video_bytes), content_type="video/mp4")
        # The preview is a real (PNG) image so it renders; it keeps the vendor's .webp name.
        return web.Response(body=simulated_image(name, task.scenario.preview_bytes), content_type="image/png")


def _reason(scenario: Scenario) -> str:
    return scenario.refusal_reason if scenario.outcome == "refusal" else scenario.failure_reason


def simulated_video(name: str, size: int) -> bytes:
    """Deterministic bytes of exactly `size` that start like an MP4 (not a playable video)."""
    head = struct.pack(">I4s4sI8s", 24, b"ftyp", b"isom", 0x200, b"isomsimu")
    filler = f"SIMULATED VIDEO {name}\n".encode()
    body = head + filler * (size // len(filler) + 1)
    return body[:size]


def simulated_image(name: str, size: int) -> bytes:
    """A valid 64x36 PNG in a colour derived from `name`, padded with a comment to `size` bytes if larger."""
    r, g, b = hashlib.sha1(name.encode()).digest()[:3]
    width, height = 64, 36
    raw = b"".join(b"\x00" + bytes((r, g, b)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(raw, 9))
    end = chunk(b"IEND", b"")
    base = b"\x89PNG\r\n\x1a\n" + ihdr + idat
    pad = size - len(base) - len(end) - 12 - len(b"Comment\x00")
    text = b""
    if pad >= 0:
        text = chunk(b"tEXt", b"Comment\x00" + (b"simulated " * (pad // 10 + 1))[:pad])
    return base + text + end
