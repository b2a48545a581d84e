"""The generation engine against the simulator over real sockets: every way a video can end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.generation.engine import GenerationEngine, GenerationFailed, Outcome, Update, VideoMade
from bot.store import JobParams
from bot.videoapi import VideoAPI
from bot.videoapi.simulator import CHUNKS_THROUGH_TASK_ID, Scenario, Simulator

PROMPT = "A cow with wings flying over a farm at sunset"
HISTORY = [{"role": "user", "content": PROMPT}]
PLAIN = JobParams(PROMPT)


@pytest.fixture
async def engine(simulator: Simulator) -> AsyncIterator[GenerationEngine]:
    async with aiohttp.ClientSession() as session:
        assert simulator.base_url
        api = VideoAPI(simulator.base_url, "sk-test-key-0123456789", session, backoff=0.01, read_timeout=5,
                       trusted_media_origins=(simulator.media_origin,))
        yield GenerationEngine(api, poll_interval=0.01, deadline=30)


async def run(engine: GenerationEngine, params: JobParams = PLAIN, task_id: str | None = None,
              history: list[dict[str, str]] = HISTORY) -> tuple[Outcome, list[Update]]:
    updates: list[Update] = []

    async def report(update: Update) -> None:
        updates.append(update)

    outcome = await engine.run(model="sora-2", params=params, history=history, task_id=task_id, report=report)
    return outcome, updates


def made(outcome: Outcome) -> VideoMade:
    assert isinstance(outcome, VideoMade), outcome
    return outcome


def failed(outcome: Outcome, kind: str) -> GenerationFailed:
    assert isinstance(outcome, GenerationFailed) and outcome.kind == kind, outcome
    return outcome


async def test_success_keeps_the_streamed_answer_and_reports_real_progress(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(step_delay=0.02))  # progress arrives over time, as from the real service
    result, updates = await run(engine, JobParams(PROMPT, orientation="landscape", duration=15))
    outcome = made(result)
    assert outcome.video_url and outcome.preview_url and outcome.sid and outcome.task_id is not None
    assert f"`{outcome.task_id}`" in outcome.content and '"orientation": "landscape"' in outcome.content
    progress = [u.progress for u in updates if u.stage == "generating" and u.progress is not None]
    assert progress == sorted(progress) and progress[-1] == 88
    assert updates[0].stage == "waiting"
    body = simulator.requests[-1].json
    assert (body["orientation"], body["duration"], body["messages"]) == ("landscape", 15, HISTORY)


async def test_refusal_is_a_failure_with_the_reason(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(outcome="refusal", refusal_reason="similarity to third-party content"))
    result, _ = await run(engine)
    assert "similarity to third-party content" in failed(result, "refused").error


async def test_a_failed_render_is_not_called_a_refusal(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(outcome="failure", failure_reason="The render farm caught fire."))
    result, _ = await run(engine)
    assert "render farm caught fire" in failed(result, "failed").error


async def test_stream_dropped_after_the_task_id_finishes_by_polling(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
    outcome = made((await run(engine))[0])
    assert any(r.path.startswith("/v1/videos/") for r in simulator.requests)  # it polled
    assert outcome.task_id and outcome.task_id.split(":")[-1] in outcome.content


async def test_stream_dropped_before_the_task_id_is_interrupted_without_a_resend(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID - 1))
    result, _ = await run(engine)
    failed(result, "interrupted")
    assert sum(r.path == "/v1/chat/completions" for r in simulator.requests) == 1  # never billed twice


async def test_service_down_is_retried_then_reported_as_unavailable(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(http_status=503, http_error_times=99))
    result, updates = await run(engine)
    failed(result, "unavailable")
    assert [u.retry for u in updates if u.retry] == [(2, 5), (3, 5), (4, 5), (5, 5)]


async def test_a_resumed_job_polls_its_saved_task(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
    first = made((await run(engine))[0])
    chats = sum(r.path == "/v1/chat/completions" for r in simulator.requests)
    resumed = made((await run(engine, task_id=first.task_id))[0])
    assert resumed.video_url == first.video_url
    assert sum(r.path == "/v1/chat/completions" for r in simulator.requests) == chats  # no new generation


async def test_image_to_video_uses_the_task_endpoint(engine: GenerationEngine, simulator: Simulator) -> None:
    params = JobParams(PROMPT, duration=10, size="small", image_url="https://cdn.example/cow.png")
    outcome = made((await run(engine, params))[0])
    create = next(r for r in simulator.requests if r.path == "/v1/video/create")
    assert create.json["images"] == ["https://cdn.example/cow.png"] and create.json["prompt"] == PROMPT
    assert "Generation Complete ✅" in outcome.content


async def test_a_task_that_finishes_without_a_usable_link_fails_at_once(simulator: Simulator) -> None:
    # The links point at a private address the bot may not open: polling must not wait for the deadline.
    unsafe = Simulator(media_base_url="http://192.168.1.10:9000")
    await unsafe.start()
    try:
        unsafe.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
        async with aiohttp.ClientSession() as session:
            assert unsafe.base_url
            api = VideoAPI(unsafe.base_url, "sk-test-key-0123456789", session, backoff=0.01, read_timeout=5)
            engine = GenerationEngine(api, poll_interval=0.01, deadline=5)
            result, _ = await run(engine)
        # Not "timeout": the first answer that said "completed" ended it, long before the deadline.
        assert "without a video link the bot may open" in failed(result, "failed").error
    finally:
        await unsafe.close()


async def test_still_busy_after_every_retry_says_so(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(http_status=429, http_error_times=99))
    result, _ = await run(engine)
    assert failed(result, "busy").error == "The video service is busy right now. Try again in a minute."
