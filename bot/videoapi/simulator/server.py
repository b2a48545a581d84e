"""A local stand-in for the vendor: same endpoints and formats, deterministic, scriptable, no key, no cost.

Used by `--simulate` (which points the real client at it) and by the tests. It behaves like the public
evidence says the vendor does, not like the bot would like: the chat flow ignores body fields beyond
model, messages and stream, and reads orientation and length from the prompt or the model ID; chat-made
tasks are unknown to `/v1/videos/{id}` and `/v1/video/query` (unless a scenario files them under a prefix,
as some resellers do) and are found through the Raw Data page (`/source/{id}`) their transcript links to,
which needs no key and answers for tasks made by `/v1/video/create` too (public clients poll it for those).

Every generation request takes the next enqueued `Scenario` (FIFO), else the default one. Links it returns
contain `simulated` and point at its own `/media/` route, which serves deterministic bytes of the
configured size, or the file the scenario names (real or crafted media). Since that is plain http on
127.0.0.1, callers must list `Simulator.media_origin` in their trusted media origins, and aim the Raw Data
template at `Simulator.raw_data_url`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from .bodies import query_body, raw_data_body, videos_body
from .dialects import Links, chunks_through_task_id, script
from .media import simulated_image, simulated_video
from .reading import read_chat, read_create
from .scenario import Origin, RecordedRequest, Scenario, SimTask, key_fingerprint
from .streaming import stream_task

__all__ = ["Simulator"]

log = logging.getLogger(__name__)

_MEDIA_NAME = re.compile(r"simulated_([0-9a-f]{20})(_sd)?\.(mp4|webp)")
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
        self.tasks: dict[str, SimTask] = {}  # by full ID
        self.base_url: str | None = None
        self._default = default or Scenario()
        self._default_errors = 0
        self._queue: deque[Scenario] = deque()
        self._queue_errors = 0
        self._api_key = api_key
        self._other_keys: set[str] = set()
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
        self.app.router.add_get("/source/{task_id}", self._raw_data)
        self.app.router.add_get("/media/{name}", self._media)
        self.app.router.add_get("/media/download/{name}", self._media)

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

    def add_key(self, api_key: str) -> None:
        """Accept another account's key too (a server paying with its own), when keys are checked."""
        self._other_keys.add(api_key)

    def enqueue(self, *scenarios: Scenario) -> None:
        """Script the next generation requests, first in first out."""
        self._queue.extend(scenarios)

    def task(self, task_id: str) -> SimTask | None:
        """Look a task up by the ID its transcript shows or by its full ID."""
        return self.tasks.get(task_id) or next((t for t in self.tasks.values() if t.shown_id == task_id), None)

    def media_task(self, name: str) -> SimTask | None:
        """The task whose media file (as its links name it: `simulated_<key>[_sd].mp4|webp`) this is."""
        m = _MEDIA_NAME.fullmatch(name)
        return next((t for t in self.tasks.values() if t.key == m.group(1)), None) if m else None

    def streamed_text(self, task_id: str) -> str:
        """The assistant text the chat stream of a task carries (content channel only), for exact comparisons."""
        task = self.task(task_id)
        if task is None:
            raise KeyError(task_id)
        return "".join(piece for channel, piece, _ in script(task, self._links(task)) if channel == "content")

    @property
    def media_origin(self) -> str:
        """The origin media links point at; add it to the trusted media origins."""
        base = self._media_base or self.base_url
        if base is None:
            raise RuntimeError("Simulator not started")
        return base

    @property
    def raw_data_url(self) -> str:
        """The Raw Data template (with {task_id}) of this simulator, for a provider profile."""
        if self.base_url is None:
            raise RuntimeError("Simulator not started")
        return f"{self.base_url}/source/{{task_id}}"

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
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.requests.append(RecordedRequest(
            request.method, request.path, dict(request.query), body, headers, has_auth, self._clock(),
            key_fingerprint(bearer) if has_auth else None,
        ))
        # Like a vendor with several accounts: the configured key and every key added since are valid.
        authorized = has_auth and bearer in {self._api_key, *self._other_keys}
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
            elif "drop" in lowered and (through := chunks_through_task_id(scenario)) is not None:
                scenario = replace(scenario, drop_after_chunks=through)
        return scenario, False

    def _error(
        self, status: int, style: str, *, reason: str = "", retry_after: float | None = None, code: str | None = None
    ) -> web.Response:
        etype, default_code = _ERRORS.get(status, ("server_error", "service_unavailable"))
        code = code or default_code
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
            retry_after=scenario.retry_after, code=scenario.refusal_code,
        )

    def _new_task(
        self, model: str, prompt: str, scenario: Scenario, origin: Origin, **facts: Any
    ) -> SimTask:
        self._counter += 1
        digest = hashlib.sha1(f"simulated-{self._counter}".encode()).hexdigest()
        uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        if model.startswith("sora"):
            # Filed as "sora-2:" by default; a scenario names resellers that file it under another prefix.
            full = f"{scenario.listed_as or 'sora-2'}:task_{digest[:26]}"
        elif "grok" in model:
            full = f"grok:{uuid}"
        elif origin == "chat":
            full = f"{model}:{uuid}"  # a Veo chat answer's ID: "veo3-pro:03bd6356-8ec6-…" (public transcripts)
        else:
            full = f"{model}:{1770000000 + self._counter}-{digest[:10]}"  # seed 002's create ID
        shown = full if scenario.dialect == "veo" or not full.split(":", 1)[-1].startswith("task_") else \
            full.split(":", 1)[-1]
        task = SimTask(
            key=digest[:20], full_id=full, shown_id=shown, model=model, prompt=prompt, scenario=scenario,
            sid=f"s_{hashlib.sha1(f'sid-{self._counter}'.encode()).hexdigest()[:32]}", created=self._clock(),
            origin=origin, **facts,
        )
        final = "completed" if scenario.outcome == "success" else "failed"
        task.timeline = (
            [("pending", None)]
            + [("queued", None)] * max(1, scenario.queue_steps)
            + [("generating", p) for p in scenario.progress_steps]
            + [(final, 100 if final == "completed" else None)]
        )
        self.tasks[task.full_id] = task
        return task

    def _links(self, task: SimTask) -> Links:
        media = f"{self.media_origin}/media"
        return Links(
            base=self.base_url or "",
            video=f"{media}/simulated_{task.key}.mp4",
            preview=f"{media}/simulated_{task.key}.webp",
            sd_video=f"{media}/simulated_{task.key}_sd.mp4",
            download=f"{media}/download/simulated_{task.key}.mp4",
        )

    # -- chat -------------------------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
            read = read_chat(body.get("model"), body.get("messages"))
        except (ValueError, AttributeError) as exc:
            return self._error(400, "nested", reason=str(exc) if isinstance(exc, ValueError) else "bad request")
        scenario, fail = self._pick(read.prompt)
        if fail:
            return self._scenario_error(scenario)
        continues = next((t for t in self.tasks.values() if any(t.sid in answer for answer in read.history)), None)
        # A remix continues its video: what the new words do not name stays as it was.
        orientation = read.orientation or (continues.orientation if continues else "portrait")
        duration = read.duration or (continues.duration if continues else None)
        task = self._new_task(
            body["model"], read.prompt, scenario, "chat", orientation=orientation, duration=duration,
            images=read.images, continues=continues.full_id if continues else None,
        )
        if not body.get("stream"):
            text = "".join(piece for channel, piece, _ in script(task, self._links(task)) if channel == "content")
            return web.json_response(
                {
                    "id": f"chatcmpl-{task.key}",
                    "object": "chat.completion",
                    "model": task.model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                }
            )
        return await stream_task(request, task, self._links(task))

    # -- tasks ------------------------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
            read = read_create(body)
        except (ValueError, AttributeError) as exc:
            return self._error(400, "nested", reason=str(exc) if isinstance(exc, ValueError) else "bad request")
        scenario, fail = self._pick(read.prompt)
        if fail:
            return self._scenario_error(scenario)
        task = self._new_task(body["model"], read.prompt, scenario, "create", orientation=read.orientation,
                              duration=read.duration, images=read.images)
        return web.json_response(
            {"id": task.full_id, "status": "pending", "status_update_time": int(time.time() * 1000)}
        )

    def _advance(self, task: SimTask) -> tuple[str, int | None]:
        """Each query moves a task one step on; with a step delay, time moves it too."""
        step = task.step + 1
        if task.scenario.step_delay > 0:
            step = max(step, int((self._clock() - task.created) / task.scenario.step_delay))
        task.step = min(step, task.last_step)
        if task.step == task.last_step and task.finished_at is None:
            due = task.created + task.last_step * task.scenario.step_delay
            task.finished_at = min(self._clock(), due) if task.scenario.step_delay > 0 else self._clock()
        return task.timeline[task.step]

    def _created_task(self, task_id: str) -> SimTask | None:
        """A task the task endpoints know, asked for by its exact full ID: made by /v1/video/create, or made by
        chat at a reseller that files chat tasks under a prefix (the scenario's `listed_as`)."""
        task = self.tasks.get(task_id)
        if task is None:
            return None
        return task if task.origin == "create" or task.scenario.listed_as else None

    async def _query_videos(self, request: web.Request) -> web.Response:
        task = self._created_task(request.match_info["task_id"])
        if task is None:
            return self._error(404, "nested")
        if task.scenario.task_endpoints_down:
            return self._error(503, "nested")
        state, progress = self._advance(task)
        return web.json_response(videos_body(task, state, progress, self._links(task)))

    async def _query(self, request: web.Request) -> web.Response:
        task = self._created_task(request.query.get("id", ""))
        if task is None:
            return self._error(404, "nested")
        if task.scenario.task_endpoints_down:
            return self._error(503, "nested")
        state, progress = self._advance(task)
        return web.json_response(query_body(task, state, progress, self._links(task)))

    async def _raw_data(self, request: web.Request) -> web.Response:
        task = self.task(request.match_info["task_id"])
        if task is None or task.scenario.raw_data_missing:
            return web.json_response({"error": "task not found"}, status=404)
        state, progress = self._advance(task)
        return web.json_response(raw_data_body(task, state, progress, self._links(task)))

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "sora-2", "object": "model"}]})

    # -- media ------------------------------------------------------------------------------------------

    async def _media(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        task = self.media_task(name)
        if task is None:
            return web.Response(status=404, text="not found")
        if name.endswith(".mp4"):
            if task.scenario.video_file is not None:
                return web.FileResponse(task.scenario.video_file, headers={"Content-Type": "video/mp4"})
            return web.Response(body=simulated_video(name, task.scenario.video_bytes), content_type="video/mp4")
        # The preview is a real (PNG) image so it renders; it keeps the vendor's .webp name.
        return web.Response(body=simulated_image(name, task.scenario.preview_bytes), content_type="image/png")
