"""stream_chat against the simulator over real sockets: what a user would see for each upstream behaviour."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable

import aiohttp

from bot.media.download import download_media
from bot.videoapi import (
    AuthenticationFailed,
    RateLimited,
    RequestRejected,
    ServiceUnavailable,
    StreamInterrupted,
    VideoAPI,
)
from bot.videoapi.simulator import CHUNKS_THROUGH_TASK_ID, Scenario, Simulator

from .conftest import USER_TURN, make_api, run_stream


def chat_posts(sim: Simulator) -> int:
    return sum(1 for r in sim.requests if r.path == "/v1/chat/completions")


async def test_success_moves_forward_and_ends_with_the_video(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(step_delay=0.005))
    result = await run_stream(api)
    final = result.final
    assert (final.state, final.progress) == ("completed", 100)
    assert final.video_url and "simulated" in final.video_url and final.video_url.endswith(".mp4")
    assert final.preview_url and final.preview_url.endswith(".webp")
    assert final.sid and final.sid.startswith("s_")
    # Only changes are yielded, progress never goes back, and only the last snapshot is final.
    snaps = result.snapshots
    assert all(a.visible() != b.visible() for a, b in itertools.pairwise(snaps))
    progress = [s.progress for s in snaps if s.progress is not None]
    assert progress == sorted(progress)
    assert [s.is_final for s in snaps].count(True) == 1
    assert "generating" in [s.state for s in snaps]
    # The content is exactly what was streamed, so it can be sent back verbatim.
    task = simulator.task(final.task_id or "")
    assert task is not None
    assert final.content == simulator.streamed_text(final.task_id or "")
    assert f"> ID: `{final.task_id}`" in final.content


async def test_the_request_is_the_conversation_verbatim(simulator: Simulator, api: VideoAPI) -> None:
    first = (await run_stream(api)).final
    conversation = [
        USER_TURN[0],
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": "Now at night 🌙, in the rain"},
    ]
    remix = (await run_stream(api, conversation)).final
    assert remix.state == "completed" and remix.task_id != first.task_id
    request = [r for r in simulator.requests if r.path == "/v1/chat/completions"][-1]
    assert request.json == {"model": "sora-2", "messages": conversation, "stream": True}
    assert request.has_authorization
    assert "Authorization" not in request.headers
    assert simulator.task(remix.task_id or "").prompt == "Now at night 🌙, in the rain"  # type: ignore[union-attr]


async def test_no_api_key_sends_no_authorization(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    assert simulator.base_url
    api = make_api(simulator.base_url, http, api_key=None, trusted_media_origins=(simulator.media_origin,))
    assert (await run_stream(api)).final.state == "completed"
    assert not simulator.requests[-1].has_authorization


async def test_refusal_is_a_failed_result_with_the_reason(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(outcome="refusal", refusal_reason="Content policy violation: similarity to "
                               "third-party content"))
    final = (await run_stream(api)).final
    assert final.state == "failed"
    assert final.error == "Content policy violation: similarity to third-party content"
    assert final.video_url is None
    assert final.task_id


async def test_failure_is_a_failed_result_with_the_reason(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(outcome="failure", failure_reason="GPU fell over"))
    final = (await run_stream(api)).final
    assert (final.state, final.error) == ("failed", "GPU fell over")


async def test_chinese_labels_byte_by_byte_crlf(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(language="zh", chunk_size=1, line_ending="\r\n"))
    final = (await run_stream(api)).final
    assert (final.state, final.progress) == ("completed", 100)
    assert final.video_url and final.task_id and final.sid
    assert "排队中" in final.content


async def test_chinese_refusal(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(language="zh", outcome="refusal", refusal_reason="内容违规"))
    final = (await run_stream(api)).final
    assert (final.state, final.error) == ("failed", "内容违规")


async def test_keepalives_cr_line_ends_and_no_space_after_data(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(keepalive=True, line_ending="\r", data_space=False))
    assert (await run_stream(api)).final.state == "completed"


async def test_status_in_reasoning_content(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(status_in_reasoning=True))
    final = (await run_stream(api)).final
    assert (final.state, final.progress) == ("completed", 100)
    assert final.task_id
    assert "Queuing" not in final.content  # status text is not part of the assistant's answer
    assert "Generation Complete" in final.content


async def test_stream_without_done_marker_still_completes(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(send_done=False))
    assert (await run_stream(api)).final.state == "completed"


async def test_drop_after_the_task_id_then_poll_to_the_video(
    simulator: Simulator, api: VideoAPI, http: aiohttp.ClientSession
) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID, video_bytes=12_345))
    result = await run_stream(api)
    err = result.error
    assert isinstance(err, StreamInterrupted)
    assert err.task_id and err.task_id.startswith("task_")
    assert err.reason == "connection"
    assert err.transcript is not None and err.task_id in err.transcript.content
    assert chat_posts(simulator) == 1  # a generation that began is never re-sent

    # The chat-made task is not on the task endpoints; its transcript's Raw Data link knows it.
    assert isinstance(await _rejected(api.get_task(f"sora-2:{err.task_id}", "videos")), RequestRejected)
    raw_link = err.transcript.raw_data_url
    assert raw_link == f"{simulator.base_url}/source/{err.task_id}"
    seen = []
    for _ in range(20):
        status = await api.get_raw_data(raw_link)
        seen.append(status.state)
        if status.is_final:
            break
    assert seen[-1] == "completed" and "generating" in seen
    assert status.video_url
    assert not any(r.has_authorization for r in simulator.requests if r.path.startswith("/source/"))  # never the key
    data = await download_media(http, status.video_url, max_bytes=1_000_000,
                                trusted_origins=api.trusted_media_origins)
    assert len(data) == 12_345


async def _rejected(call: Awaitable[object]) -> BaseException | None:
    try:
        await call
    except RequestRejected as error:
        return error
    return None


async def test_drop_before_the_task_id(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID - 1))
    err = (await run_stream(api)).error
    assert isinstance(err, StreamInterrupted)
    assert err.task_id is None
    assert chat_posts(simulator) == 1


async def test_authentication_error_is_not_retried(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=401))
    result = await run_stream(api)
    assert isinstance(result.error, AuthenticationFailed)
    assert result.retries == []
    assert chat_posts(simulator) == 1


async def test_rate_limit_is_retried_with_notice(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=429, http_error_times=2, retry_after=0.01))
    result = await run_stream(api)
    assert result.final.state == "completed"
    assert result.retries == [(2, 5, "RateLimited"), (3, 5, "RateLimited")]
    assert chat_posts(simulator) == 3


async def test_unavailable_gives_up_after_max_attempts(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    assert simulator.base_url
    api = make_api(simulator.base_url, http, max_attempts=3)
    simulator.enqueue(Scenario(http_status=503, http_error_times=10, error_style="flat"))
    result = await run_stream(api)
    assert isinstance(result.error, ServiceUnavailable)
    assert result.retries == [(2, 3, "ServiceUnavailable"), (3, 3, "ServiceUnavailable")]
    assert chat_posts(simulator) == 3


async def test_a_500_on_a_generation_is_not_re_sent(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=500))
    result = await run_stream(api)
    assert isinstance(result.error, ServiceUnavailable)
    assert chat_posts(simulator) == 1


async def test_rate_limit_asking_for_too_long_a_wait_is_not_retried(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    assert simulator.base_url
    api = make_api(simulator.base_url, http, max_retry_wait=1.0)
    simulator.enqueue(Scenario(http_status=429, retry_after=120))
    result = await run_stream(api)
    assert isinstance(result.error, RateLimited) and result.error.retry_after == 120
    assert chat_posts(simulator) == 1


async def test_content_policy_400_quotes_the_reason(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=400, refusal_reason="similarity to third-party content"))
    err = (await run_stream(api)).error
    assert isinstance(err, RequestRejected)
    assert err.user_message == "The video service declined this prompt: similarity to third-party content."


async def test_keepalives_keep_a_slow_stream_open(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    assert simulator.base_url
    api = make_api(simulator.base_url, http, read_timeout=0.3, trusted_media_origins=(simulator.media_origin,))
    simulator.enqueue(Scenario(queue_steps=0, progress_steps=(), step_delay=0.4, keepalive=True))
    assert (await run_stream(api)).final.state == "completed"


async def test_silence_longer_than_the_read_timeout_interrupts(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    assert simulator.base_url
    api = make_api(simulator.base_url, http, read_timeout=0.1)
    simulator.enqueue(Scenario(step_delay=5.0))
    err = (await run_stream(api)).error
    assert isinstance(err, StreamInterrupted)
    assert (err.reason, err.task_id is not None) == ("read_timeout", True)


async def test_the_overall_deadline_ends_even_a_lively_stream(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    assert simulator.base_url
    api = make_api(simulator.base_url, http, deadline=0.3)
    simulator.enqueue(Scenario(step_delay=0.2, keepalive=True, progress_steps=tuple(range(1, 60))))
    err = (await run_stream(api)).error
    assert isinstance(err, StreamInterrupted)
    assert err.reason == "deadline" and err.task_id


async def test_breaking_out_early_closes_the_stream(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(step_delay=0.01, progress_steps=tuple(range(1, 90))))
    async for snap in api.stream_chat("sora-2", USER_TURN):
        if snap.progress:
            break
    # The client is still usable afterwards.
    assert (await run_stream(api)).final.state == "completed"
