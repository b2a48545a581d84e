"""What the simulator is told to do (a Scenario per generation) and what it remembers (requests, tasks)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Dialect", "EchoStyle", "Origin", "RecordedRequest", "Scenario", "SimTask", "key_fingerprint"]

# kkiai: the seed vendor's transcript (English or Chinese labels); veo: the Veo wording of the same family
# (tu-zi, apicore); gateway: sora2api/flow2api (progress in reasoning_content, the video as an HTML tag).
Dialect = Literal["kkiai", "veo", "gateway"]
Origin = Literal["chat", "create"]
# How the answer quotes the prompt: "json", a ```json block with the prompt JSON-escaped (kkiai, seed 004);
# "raw", the same block with the prompt as it came (what echo.py's unescaped-quotes case implies); "quote",
# a sentence quoting it (geekai's capture: ***…a prompt in Chinese: "<prompt>".***); "none"; "dialect",
# the dialect's own (kkiai json, the others none). Veo and gateway answers are not known to quote prompts:
# their "json"/"raw"/"quote" are hostile what-ifs, so that tests can prove a quote is never read as status.
EchoStyle = Literal["dialect", "json", "raw", "quote", "none"]


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
    dialect: Dialect = "kkiai"
    language: Literal["en", "zh"] = "en"  # the kkiai dialect's labels
    collapsed: bool = False  # kkiai dialect: every status on one line, joined by " > " (as some streams do)
    bold_reason: bool = False  # failures say the reason in a bold line, then a bare "❌ 生成失败: <code>"
    preview: bool = False  # veo dialect: a preview video before the high-quality one
    error_code: str | None = None  # end the stream with an {"error": {..., "code": …}} event instead
    video_bytes: int = 64 * 1024
    # Serve this file as the video instead of `video_bytes` of filler: real or crafted media (a decoder bomb,
    # a lying header, an absurd duration…), for tests of what the bot does with what a vendor links to.
    video_file: str | None = None
    preview_bytes: int = 2 * 1024
    keepalive: bool = False  # `: keep-alive` comments before each step
    chunk_size: int | None = None  # None: one write per SSE event; N: re-chunk every event into N-byte writes
    line_ending: Literal["\n", "\r\n", "\r"] = "\n"
    data_space: bool = True  # "data: {…}" or "data:{…}"
    send_done: bool = True  # finish with `data: [DONE]`
    status_in_reasoning: bool = False  # kkiai dialect: status lines in delta.reasoning_content
    echo: EchoStyle = "dialect"  # how the answer quotes the prompt (see EchoStyle)
    # The vendor's code for this refusal: in an HTTP error's body (with http_status: sentinel_block is refused
    # at the door) and in the task's failure fields. None: the status's own code table, or no code.
    refusal_code: str | None = None
    failure_without_reason: bool = False  # a failed task's pages give no reason at all
    # How the task endpoints file a chat-made task: None (resellers say they do not show them), or the prefix
    # they file it under ("sora-2-pro" at some resellers, "sora-2" at others).
    listed_as: str | None = None
    raw_data_missing: bool = False  # the Raw Data page does not know this task (answers 404)
    task_endpoints_down: bool = False  # /v1/videos and /v1/video/query answer 503 about this task
    echo_mode: bool = False  # the echo says "mode": "横屏模式"/"竖屏模式" instead of "orientation" (issue 21)

    @classmethod
    def demo(cls) -> Scenario:
        """Defaults for `--simulate`: feels real, takes about five seconds."""
        return cls(queue_steps=3, progress_steps=(8, 23, 41, 57, 74, 92), step_delay=0.5, keepalive=True)

    @property
    def echo_style(self) -> EchoStyle:
        """The echo this scenario's answers carry, with "dialect" resolved."""
        if self.echo != "dialect":
            return self.echo
        return "json" if self.dialect == "kkiai" else "none"

    @property
    def reason(self) -> str:
        """What a failed video's reason is."""
        return self.refusal_reason if self.outcome == "refusal" else self.failure_reason


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; the Authorization header itself is never kept."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    has_authorization: bool
    at: float = 0.0  # when it arrived, on the simulator's clock (for benchmarks)
    key_fingerprint: str | None = None  # key_fingerprint() of the bearer key it carried: which account pays


def key_fingerprint(api_key: str) -> str:
    """A short one-way name of an API key, so tests can tell which key a request carried without keeping it."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass
class SimTask:
    """A generation known to the simulator, whether started by chat or by /v1/video/create."""

    key: str  # hex; names its media files
    full_id: str  # the ID the task endpoints know, e.g. "sora-2:task_…", "veo3.1-fast:1770…-trii1OXZc3"
    shown_id: str  # the ID its chat transcript shows ("task_…" for sora, the full ID for veo)
    model: str
    prompt: str
    scenario: Scenario
    sid: str
    created: float
    origin: Origin
    orientation: str = "portrait"
    duration: int | None = None  # None: the request named no length, and the echo says none
    images: tuple[str, ...] = ()
    continues: str | None = None  # the task whose sid the conversation carried (a remix)
    step: int = 0
    timeline: list[tuple[str, int | None]] = field(default_factory=list)
    # When the service had the video: its stream's last word, or (polled) the moment its last step was due.
    finished_at: float | None = None

    @property
    def bare_id(self) -> str:
        """The ID without its model prefix."""
        return self.full_id.split(":", 1)[-1]

    @property
    def last_step(self) -> int:
        """Index of the final state in the timeline."""
        return len(self.timeline) - 1
