"""Drive one job through the video API, knowing nothing of Discord or the database.

How a job is sent follows the provider profile of its model. A chat-route model streams a chat completion
whose newest user message carries the options the way that service reads them and, as a vision part, the
picture to start from; a task-route model is created with `/v1/video/create` and polled. If a stream
breaks after the task ID appeared, or the job is resumed after a restart with a task ID saved, the task is
recovered from the sources its profile names (the Raw Data link first).

Once a task ID is known, the task's status decides the end: an `{"error": …}` event after the ID, an HTTP
error or a timeout sends the engine to ask the task (Raw Data page, then the task endpoints under every
spelling of the ID), and only a terminal status from the vendor, or the job's deadline, fails the video.
Just before a generation request leaves, `before_send` lets the caller record that it is leaving. Every
visible change is reported through a callback; the result is an `Outcome`, never an exception, except
cancellation and what `before_send` raises.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.catalog import FailureCost, ModelSpec, ProviderProfile
from bot.core.pacing import RatePacer
from bot.generation.asking import LoadImage, picture_data_url, picture_loader, service_note
from bot.generation.billing import Billing, failure_billing, unfinished_billing
from bot.generation.recovery import recovery_sources
from bot.media.download import MediaError
from bot.store import JobParams
from bot.videoapi import (
    Ask,
    AuthenticationFailed,
    GenerationStopped,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    TaskStatus,
    Transcript,
    VideoAPI,
    VideoAPIError,
    chat_request,
    failure_code,
    refusal_of,
    task_body,
    task_prompt,
)

log = logging.getLogger(__name__)

Stage = Literal["waiting", "generating"]
ErrorKind = Literal["refused", "failed", "unavailable", "busy", "interrupted", "timeout", "auth"]
__all__ = ["GenerationEngine", "GenerationFailed", "Outcome", "Update", "VideoMade", "picture_loader"]
BeforeSend = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


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
    service_note: str | None = None  # "You asked for landscape; the service made portrait."


@dataclass(frozen=True, slots=True)
class GenerationFailed:
    """A generation that produced no video, with the sentence the member reads and its kind."""

    error: str
    kind: ErrorKind
    task_id: str | None = None
    code: str | None = None  # the vendor's code (sentinel_block, moderation_blocked, …), when it gave one
    billing: Billing = "not_billed"  # what the vendor likely billed for it (the member is refunded anyway)


Outcome = VideoMade | GenerationFailed


Report = Callable[[Update], Awaitable[None]]

_TIMED_OUT = "The video took too long and was abandoned."
_DECLINED = "The video service couldn't make this video."
_UNAVAILABLE = "The video service was unavailable."
_INTERRUPTED = "The connection to the video service broke before it accepted the video."
_UNRECOVERABLE = "The connection to the video service broke, and this service offers no way to pick the video up."
_LOST = "The video service no longer knows this video's task."
_PICTURE = "The picture couldn't be fetched from Discord any more; send it again."
_NOT_OFFERED = "This bot no longer offers the model this video was started with."
_COSTS = {
    "billed": "a failed generation may still be billed by the service",
    "refunded": "a failed generation is refunded by the service",
    "unknown": "what a failed generation costs is not known",
}
_NO_USABLE_LINK = "The video service finished without a video link the bot may open."
_MISSING_ROUNDS = 3  # a task unknown everywhere this many polls in a row is gone (a fresh one may lag)


class GenerationEngine:
    """Runs jobs against a VideoAPI, speaking each model the way its provider profile says."""

    def __init__(
        self,
        api: VideoAPI,
        provider: ProviderProfile,
        *,
        load_image: LoadImage | None = None,
        poll_interval: float = 5.0,
        polls_per_second: float = 50.0,
        deadline: float = 3600.0,
        poll_outage_limit: int = 20,
    ) -> None:
        if provider.image_transport == "data_url" and load_image is None:
            raise ValueError(f"the {provider.name} profile sends pictures as data: URLs, which needs load_image")
        self._api = api
        self._provider = provider
        self._load_image = load_image
        self._poll_interval = poll_interval
        # All jobs' polls together: a thousand tasks resumed at once must not hit the vendor as one wave.
        self._poll_pacer = RatePacer(polls_per_second)
        self._random = random.Random()
        self._deadline = deadline
        self._poll_outage_limit = poll_outage_limit
        for spec in provider.models:
            log.info("%s: %s route, sent as %s; %s", spec.name, spec.route, spec.request_model, _COSTS[spec.on_failure])

    def failure_cost(self, model: str) -> FailureCost:
        """What a failed generation of `model` costs at the vendor, as its profile says."""
        return self._provider.model(model).on_failure if self._provider.has_model(model) else "unknown"

    async def run(
        self,
        *,
        model: str,
        params: JobParams,
        history: Sequence[Mapping[str, Any]],
        task_id: str | None,
        report: Report,
        before_send: BeforeSend = _nothing,
    ) -> Outcome:
        """Make the video: recover `task_id` if given, else create it (task route) or stream it (chat)."""
        if not self._provider.has_model(model):
            return GenerationFailed(_NOT_OFFERED, "failed", task_id,
                                    billing="maybe_billed" if task_id else "not_billed")
        spec = self._provider.model(model)
        sent = task_id is not None

        async def sending() -> None:
            nonlocal sent
            await before_send()  # recorded before the request leaves: a restart must know it may have arrived
            sent = True

        try:
            async with asyncio.timeout(self._deadline):
                if task_id:
                    return await self._recover(task_id, spec, None, None, report)
                try:
                    ask = await self._ask(params)
                except MediaError:
                    return GenerationFailed(_PICTURE, "failed")
                if spec.route == "task" or (ask.image and spec.image == "task"):
                    return await self._from_task(spec, ask, history, report, sending=sending)
                return await self._stream(spec, ask, params, history, report, sending=sending)
        except TimeoutError:
            return GenerationFailed(_TIMED_OUT, "timeout", task_id,
                                    billing=unfinished_billing(spec.on_failure, sent=sent))

    async def _ask(self, params: JobParams) -> Ask:
        image = params.image_url
        if image and self._provider.image_transport == "data_url":
            assert self._load_image is not None
            image = picture_data_url(await self._load_image(image))
        return Ask(params.prompt, params.orientation, params.duration, params.size, image)

    async def _stream(
        self, spec: ModelSpec, ask: Ask, params: JobParams, history: Sequence[Mapping[str, Any]], report: Report,
        *, sending: BeforeSend,
    ) -> Outcome:
        request = chat_request(spec, self._provider.phrases, history, ask)
        last: Transcript | None = None
        await sending()
        try:
            async for snapshot in self._api.stream_chat(
                request.model, request.messages, on_retry=_retry_reporter(report), extra=request.extra
            ):
                last = snapshot
                if snapshot.state in ("completed", "failed"):
                    break
                await report(_update_from_transcript(snapshot))
        except StreamInterrupted as broken:
            seen: Transcript | None = broken.transcript if isinstance(broken.transcript, Transcript) else last
            task = broken.task_id or (seen.task_id if seen else None)
            if task is None:
                log.warning("stream for %s broke before a task ID (%s)", spec.name, broken.reason)
                return GenerationFailed(_INTERRUPTED, "interrupted", billing=unfinished_billing(spec.on_failure,
                                                                                               sent=True))
            # After the task ID, whatever ended the stream (a cut, silence, an error event) is not the task's
            # end: the task's own status decides.
            log.info("stream ended after task %s (%s); asking the task", task, broken.reason)
            return await self._recover(task, spec, seen, params, report, conveyed=request.conveyed,
                                      hint=broken.cause or broken)
        except VideoAPIError as error:
            if last is not None and last.task_id:
                log.info("stream of task %s ended with %s; asking the task", last.task_id, type(error).__name__)
                return await self._recover(last.task_id, spec, last, params, report, conveyed=request.conveyed,
                                           hint=error)
            return _failure(error, None, spec)
        if last is None:
            return GenerationFailed(_INTERRUPTED, "interrupted", billing=unfinished_billing(spec.on_failure, sent=True))
        if last.state == "completed" and last.video_url:
            note = service_note(params, last.content, request.conveyed)
            return VideoMade(last.task_id, last.content, last.video_url, last.preview_url, last.sid, note)
        return _reported_failure(last.task_id, last.error, None, spec)

    async def _from_task(
        self, spec: ModelSpec, ask: Ask, history: Sequence[Mapping[str, Any]], report: Report, *, sending: BeforeSend
    ) -> Outcome:
        body = task_body(spec, ask, task_prompt(history) or ask.prompt)
        await sending()
        try:
            task_id = await self._api.create_task(body, on_retry=_retry_reporter(report))
        except VideoAPIError as error:
            return _failure(error, None, spec)
        # A created task has no chat answer: its model's task endpoints know it, then its Raw Data page.
        return await self._recover(task_id, spec, None, None, report, created=True)  # reports the ID first

    async def _recover(
        self, task_id: str, spec: ModelSpec, seen: Transcript | None, params: JobParams | None, report: Report,
        *, created: bool = False, conveyed: frozenset[str] = frozenset(), hint: VideoAPIError | None = None,
    ) -> Outcome:
        """Ask the task's sources until it ends. GETs are safe to repeat, so outages are waited out.

        All jobs' polls share one pace (VIDEO_API_POLLS_PER_SECOND), first come first served: a restart that
        resumes a thousand tasks polls them one after another at that pace, never as one wave, and each
        task's later polls keep their own jittered rhythm.
        """
        sources = recovery_sources(self._api, self._provider, spec, task_id, seen.raw_data_url if seen else None,
                                   created=created)
        if not sources:
            if isinstance(hint, GenerationStopped | RequestRejected):  # the service's words are all there is
                return _failure(hint, task_id, spec)
            return GenerationFailed(_UNRECOVERABLE, "interrupted", task_id,
                                    billing=unfinished_billing(spec.on_failure, sent=True))
        await report(Update("waiting", task_id=task_id))
        current, outages, missing_rounds = 0, 0, 0
        while True:
            await self._poll_pacer.turn()
            status: TaskStatus | None = None
            missing = 0
            for offset in range(len(sources)):
                index = (current + offset) % len(sources)
                try:
                    status = await sources[index].fetch()
                except VideoAPIError as error:
                    # Not the task's answer (an outage, a refused key, a gateway's error page): ask on.
                    if isinstance(error, RequestRejected) and error.status == 404:
                        missing += 1
                    else:
                        log.info("asking %s about %s failed: %s", sources[index].name, task_id, error)
                    continue
                current = index  # keep asking the source that answered
                break
            if status is None:
                if missing == len(sources):
                    missing_rounds += 1
                    if missing_rounds >= _MISSING_ROUNDS:
                        return GenerationFailed(_LOST, "failed", task_id,
                                                billing=unfinished_billing(spec.on_failure, sent=True))
                else:
                    # Only the task's status or the job's deadline ends it; the member sees the service is silent.
                    outages += 1
                    log.warning("no source answered about %s (%d time(s))", task_id, outages)
                    shown = min(outages + 1, self._poll_outage_limit)
                    await report(Update("waiting", task_id=task_id, retry=(shown, self._poll_outage_limit)))
                await asyncio.sleep(min(60.0, self._poll_interval * 2 ** min(outages, 4)))
                continue
            outages, missing_rounds = 0, 0
            if status.state == "completed" and status.video_url:
                content = seen.content if seen and seen.content else _task_content(task_id, status)
                note = service_note(params, content, conveyed) if params else None
                return VideoMade(task_id, content, status.video_url, status.preview_url, seen.sid if seen else None,
                                 note)
            if status.state == "completed":
                # Finished without a link the bot may open: asking again will not add one.
                return GenerationFailed(_NO_USABLE_LINK, "failed", task_id, billing="billed")
            if status.state == "failed":
                return _reported_failure(task_id, status.error, status.code or (hint.code if hint else None), spec)
            await report(_update_from_task(task_id, status))
            await asyncio.sleep(self._poll_interval * self._random.uniform(0.8, 1.2))


# Words with which the vendor family words a content-policy refusal, as opposed to a render failure.
_REFUSAL_WORDS = re.compile(
    r"polic|violat|declin|refus|unsafe|moderat|inappropriate|not allowed|prohibit|similarity|third.party|"
    r"copyright|guideline|safety|sensitive|nsfw|content filter",
    re.IGNORECASE,
)


def _reported_failure(task_id: str | None, error: str | None, code: str | None, spec: ModelSpec) -> GenerationFailed:
    """A failure the service reported: a refusal of the prompt (by its code, or its words), or a failed render."""
    code = code or failure_code(None, [error])
    billing = failure_billing(spec.on_failure, code)
    refusal = refusal_of(code)
    if refusal is not None:
        words = error if error and not _is_bare(error, refusal.code) else None
        sentence = refusal.sentence if words is None else f"{refusal.sentence} ({words.rstrip('.')})"
        return GenerationFailed(sentence, "refused", task_id, refusal.code, billing)
    kind: ErrorKind = "refused" if error and _REFUSAL_WORDS.search(error) else "failed"
    return GenerationFailed(error or _DECLINED, kind, task_id, code, billing)


def _is_bare(error: str, code: str) -> bool:
    """Whether the service's words say nothing but the code (then the member reads only the sentence)."""
    return error.strip().rstrip(".").lower().endswith(code) and len(error.strip()) <= len(code) + 40


def _update_from_transcript(snapshot: Transcript) -> Update:
    stage: Stage = "generating" if snapshot.state == "generating" else "waiting"
    return Update(stage, task_id=snapshot.task_id, progress=snapshot.progress)


def _update_from_task(task_id: str, status: TaskStatus) -> Update:
    stage: Stage = "generating" if status.state == "generating" or status.progress else "waiting"
    return Update(stage, task_id=task_id, progress=status.progress)


def _task_content(task_id: str, status: TaskStatus) -> str:
    """The assistant turn for a video no stream told of (a task, or a job resumed after a restart).

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


def _failure(error: VideoAPIError, task_id: str | None, spec: ModelSpec) -> GenerationFailed:
    """The end of a video whose request the service answered with an error (no task to ask about)."""
    refusal = refusal_of(error.code)
    if refusal is not None:  # refused at the door nothing was made, unless moderation stopped it midway
        midway = refusal.stage == "during" and isinstance(error, GenerationStopped)
        billing: Billing = failure_billing(spec.on_failure, refusal.code) if midway else "not_billed"
        return GenerationFailed(refusal.sentence, "refused", task_id, refusal.code, billing)
    if isinstance(error, GenerationStopped):  # the service began, then stopped it: a failed generation
        return GenerationFailed(error.user_message, "failed", task_id, error.code,
                                failure_billing(spec.on_failure, error.code))
    # Answered with an error at the door: nothing was made.
    if isinstance(error, RequestRejected):
        return GenerationFailed(error.user_message, "refused", task_id, error.code)
    if isinstance(error, AuthenticationFailed):
        log.error("the video API refused the key: %s", error)
        return GenerationFailed(error.user_message, "auth", task_id)
    if isinstance(error, RateLimited):  # still busy after every retry: its own sentence says so
        return GenerationFailed(error.user_message, "busy", task_id)
    if isinstance(error, ServiceUnavailable):
        return GenerationFailed(_UNAVAILABLE, "unavailable", task_id)
    return GenerationFailed(error.user_message, "failed", task_id, error.code)
