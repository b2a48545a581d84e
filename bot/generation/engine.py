"""Drive one job through the video API, knowing nothing of Discord or the database.

The main path streams a chat completion. If the stream breaks after the task ID appeared, or the job is
resumed after a restart with a task ID saved, the task endpoint is polled instead. Image-to-video jobs are
created with the task endpoint and polled. Every visible change is reported through a callback; the result
is an `Outcome`, never an exception, except cancellation.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.pacing import RatePacer
from bot.store import JobParams
from bot.videoapi import (
    AuthenticationFailed,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    TaskStatus,
    Transcript,
    VideoAPI,
    VideoAPIError,
)

log = logging.getLogger(__name__)

Stage = Literal["waiting", "generating"]
ErrorKind = Literal["refused", "failed", "unavailable", "busy", "interrupted", "timeout", "auth"]


@dataclass(frozen=True, slots=True)
class Update:
    """A visible change while a video is being made."""

    stage: Stage
    task_id: str | None = None
    progress: int | None = None
    retry: tuple[int, int] | None = None  # (attempt, of) while the service is not answering


@dataclass(frozen=True, slots=True)
class VideoMade:
    """A generation that produced a video; `content` is the assistant turn to keep for remixes."""

    task_id: str | None
    content: str
    video_url: str
    preview_url: str | None = None
    sid: str | None = None


@dataclass(frozen=True, slots=True)
class GenerationFailed:
    """A generation that produced no video, with the sentence the member reads and its kind."""

    error: str
    kind: ErrorKind
    task_id: str | None = None


Outcome = VideoMade | GenerationFailed


Report = Callable[[Update], Awaitable[None]]

_TIMED_OUT = "The video took too long and was abandoned."
_DECLINED = "The video service couldn't make this video."
_UNAVAILABLE = "The video service was unavailable."
_INTERRUPTED = "The connection to the video service broke before it accepted the video."
_NO_USABLE_LINK = "The video service finished without a video link the bot may open."


class GenerationEngine:
    """Runs jobs against a VideoAPI."""

    def __init__(
        self,
        api: VideoAPI,
        *,
        poll_interval: float = 5.0,
        polls_per_second: float = 20.0,
        deadline: float = 3600.0,
        poll_outage_limit: int = 20,
    ) -> None:
        self._api = api
        self._poll_interval = poll_interval
        # All jobs' polls together: a thousand tasks resumed at once must not hit the vendor as one wave.
        self._poll_pacer = RatePacer(polls_per_second)
        self._deadline = deadline
        self._poll_outage_limit = poll_outage_limit
        self._random = random.Random()

    async def run(
        self,
        *,
        model: str,
        params: JobParams,
        history: Sequence[Mapping[str, str]],
        task_id: str | None,
        report: Report,
    ) -> Outcome:
        """Make the video: resume `task_id` if given, else create it (image) or stream it (chat)."""
        try:
            async with asyncio.timeout(self._deadline):
                if task_id:
                    return await self._poll(task_id, model, report, resumed=True)
                if params.image_url:
                    return await self._from_image(model, params, report)
                return await self._stream(model, params, history, report)
        except TimeoutError:
            return GenerationFailed(_TIMED_OUT, "timeout", task_id)

    async def _stream(
        self, model: str, params: JobParams, history: Sequence[Mapping[str, str]], report: Report
    ) -> Outcome:
        last: Transcript | None = None
        seen_task: str | None = None
        try:
            async for snapshot in self._api.stream_chat(
                model, history, on_retry=_retry_reporter(report), extra=_chat_options(params)
            ):
                last = snapshot
                seen_task = snapshot.task_id or seen_task
                if snapshot.state in ("completed", "failed"):
                    break
                await report(_update_from_transcript(snapshot))
        except StreamInterrupted as broken:
            task = broken.task_id or seen_task
            if task is None:
                log.warning("stream for %s broke before a task ID (%s)", model, broken.reason)
                return GenerationFailed(_INTERRUPTED, "interrupted")
            log.info("stream broke after task %s (%s); polling instead", task, broken.reason)
            return await self._poll(task, model, report)
        except VideoAPIError as error:
            return _failure(error, seen_task)
        if last is None:
            return GenerationFailed(_INTERRUPTED, "interrupted")
        if last.state == "completed" and last.video_url:
            return VideoMade(last.task_id, last.content, last.video_url, last.preview_url, last.sid)
        return _reported_failure(last.task_id, last.error)

    async def _from_image(self, model: str, params: JobParams, report: Report) -> Outcome:
        try:
            task_id = await self._api.create_task(
                model,
                params.prompt,
                images=[params.image_url] if params.image_url else [],
                orientation=params.orientation,
                size=params.size or "small",
                duration=params.duration or 10,
                on_retry=_retry_reporter(report),
            )
        except VideoAPIError as error:
            return _failure(error, None)
        return await self._poll(task_id, model, report)  # which reports the new task ID first

    async def _poll(self, task_id: str, model: str, report: Report, *, resumed: bool = False) -> Outcome:
        """Ask for the task until it ends. GETs are safe to repeat, so outages are waited out.

        Polls are jittered and paced across all jobs; a resumed job (one of many after a restart) starts
        at a random point of its first interval, so that the restart does not poll in one wave.
        """
        failures = 0
        await report(Update("waiting", task_id=task_id))
        if resumed:
            await asyncio.sleep(self._random.uniform(0, self._poll_interval))
        while True:
            await self._poll_pacer.turn()
            try:
                status = await self._api.get_task(task_id, model)
                failures = 0
            except (ServiceUnavailable, RateLimited) as error:
                failures += 1
                log.warning("polling %s failed %d time(s): %s", task_id, failures, error)
                if failures >= self._poll_outage_limit:
                    return GenerationFailed(_UNAVAILABLE, "unavailable", task_id)
                await report(Update("waiting", task_id=task_id, retry=(failures + 1, self._poll_outage_limit)))
                await asyncio.sleep(min(60.0, self._poll_interval * 2 ** min(failures, 4)))
                continue
            except VideoAPIError as error:
                return _failure(error, task_id)
            if status.state == "completed" and status.video_url:
                return VideoMade(task_id, _task_content(task_id, status), status.video_url, status.preview_url)
            if status.state == "completed":
                # Finished without a link the bot may open: asking again will not add one.
                return GenerationFailed(_NO_USABLE_LINK, "failed", task_id)
            if status.state == "failed":
                return _reported_failure(task_id, status.error)
            await report(_update_from_task(task_id, status))
            await asyncio.sleep(self._poll_interval * self._random.uniform(0.8, 1.2))


# Words with which the vendor family words a content-policy refusal, as opposed to a render failure.
_REFUSAL_WORDS = re.compile(
    r"polic|violat|declin|refus|unsafe|moderat|inappropriate|not allowed|prohibit|similarity|third.party|"
    r"copyright|guideline|safety|sensitive|nsfw|content filter",
    re.IGNORECASE,
)


def _reported_failure(task_id: str | None, error: str | None) -> GenerationFailed:
    """A failure the service reported in its own words: a refusal of the prompt, or a failed render."""
    kind: ErrorKind = "refused" if error and _REFUSAL_WORDS.search(error) else "failed"
    return GenerationFailed(error or _DECLINED, kind, task_id)


def _chat_options(params: JobParams) -> dict[str, object]:
    # The vendor reads the options from the prompt's JSON block it echoes; sending them as body fields
    # is how OpenAI-compatible video resellers take them. Unknown fields are ignored upstream.
    options: dict[str, object] = {"orientation": params.orientation}
    if params.duration:
        options["duration"] = params.duration
    if params.size:
        options["size"] = params.size
    return options


def _update_from_transcript(snapshot: Transcript) -> Update:
    stage: Stage = "generating" if snapshot.state == "generating" else "waiting"
    return Update(stage, task_id=snapshot.task_id, progress=snapshot.progress)


def _update_from_task(task_id: str, status: TaskStatus) -> Update:
    stage: Stage = "generating" if status.state == "generating" or status.progress else "waiting"
    return Update(stage, task_id=task_id, progress=status.progress)


def _task_content(task_id: str, status: TaskStatus) -> str:
    """The assistant turn for a polled task, in the vendor's own transcript format.

    There was no stream to keep verbatim, so later remixes get what the stream would have said.
    """
    lines = [f"> ID: `{task_id.split(':', 1)[-1]}`", "> Generation Complete ✅", ""]
    if status.preview_url:
        lines.append(f"![{status.preview_url}]({status.preview_url})")
    lines.append(f"[Play Online▶️]({status.video_url})")
    return "\n".join(lines)


def _retry_reporter(report: Report) -> Callable[[int, int, VideoAPIError], Awaitable[None]]:
    async def on_retry(attempt: int, of: int, error: VideoAPIError) -> None:
        log.info("video API not answering (%s); attempt %d of %d", error, attempt, of)
        await report(Update("waiting", retry=(attempt, of)))

    return on_retry


def _failure(error: VideoAPIError, task_id: str | None) -> GenerationFailed:
    if isinstance(error, RequestRejected):
        return GenerationFailed(error.user_message, "refused", task_id)
    if isinstance(error, AuthenticationFailed):
        log.error("the video API refused the key: %s", error)
        return GenerationFailed(error.user_message, "auth", task_id)
    if isinstance(error, RateLimited):  # still busy after every retry: its own sentence says so
        return GenerationFailed(error.user_message, "busy", task_id)
    if isinstance(error, ServiceUnavailable):
        return GenerationFailed(_UNAVAILABLE, "unavailable", task_id)
    return GenerationFailed(error.user_message, "failed", task_id)
