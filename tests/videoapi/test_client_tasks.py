"""create_task / get_task over real sockets: endpoints, ID prefixes, retries that are safe."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.videoapi import RateLimited, RequestRejected, ServiceUnavailable, VideoAPI, VideoAPIError
from bot.videoapi.simulator import Scenario, Simulator

from .conftest import RawReply, RawServer, make_api


def paths(sim: Simulator, method: str) -> list[str]:
    return [r.path for r in sim.requests if r.method == method and r.path.startswith("/v1/")]


async def poll(api: VideoAPI, task_id: str, model: str | None = None) -> list:
    seen = []
    for _ in range(20):
        status = await api.get_task(task_id, model)
        seen.append(status)
        if status.is_final:
            break
    return seen


async def test_create_task_sends_the_documented_body(simulator: Simulator, api: VideoAPI) -> None:
    task_id = await api.create_task(
        "sora-2", "make animate", images=["https://cdn.example.com/a.png"], orientation="landscape",
        size="large", duration=15, watermark=False, private=True,
    )
    assert task_id.startswith("sora-2:task_")
    body = simulator.requests[-1].json
    assert body == {
        "images": ["https://cdn.example.com/a.png"], "model": "sora-2", "orientation": "landscape",
        "prompt": "make animate", "size": "large", "duration": 15, "watermark": False, "private": True,
    }


async def test_sora_task_polls_through_the_videos_endpoint_to_the_video(simulator: Simulator, api: VideoAPI) -> None:
    task_id = await api.create_task("sora-2", "a cow")
    seen = await poll(api, task_id)
    assert [s.state for s in seen][-1] == "completed"
    assert "generating" in [s.state for s in seen]
    progress = [s.progress for s in seen if s.state == "generating"]
    assert progress == sorted(progress) and progress[0] > 0
    assert seen[-1].video_url and seen[-1].preview_url
    assert all(p.startswith("/v1/videos/sora-2:task_") for p in paths(simulator, "GET"))


async def test_bare_chat_id_with_model_is_prefixed(simulator: Simulator, api: VideoAPI) -> None:
    task_id = await api.create_task("sora-2", "a cow")
    bare = task_id.split(":", 1)[1]
    status = await api.get_task(bare, "sora-2")
    assert status.state in ("pending", "queued")
    assert paths(simulator, "GET")[-1] == f"/v1/videos/{task_id}"


async def test_other_models_use_the_query_endpoint_and_prefer_the_upsampled_video(
    simulator: Simulator, api: VideoAPI
) -> None:
    task_id = await api.create_task("veo3.1-fast", "a cat")
    seen = await poll(api, task_id)
    final = seen[-1]
    assert final.state == "completed"
    assert final.video_url and final.video_url.endswith(".mp4") and "_sd" not in final.video_url
    assert final.error is None  # stale error fields on a finished task are not a failure
    get = [r for r in simulator.requests if r.method == "GET"]
    assert {r.path for r in get} == {"/v1/video/query"}
    assert get[0].query == {"id": task_id}


async def test_failed_task_reports_the_reason(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(outcome="refusal", refusal_reason="Similarity to third-party content"))
    seen = await poll(api, await api.create_task("sora-2", "a famous mouse"))
    assert (seen[-1].state, seen[-1].error) == ("failed", "Similarity to third-party content")


async def test_unknown_task_is_rejected_after_trying_both_endpoints(simulator: Simulator, api: VideoAPI) -> None:
    with pytest.raises(RequestRejected) as info:
        await api.get_task("sora-2:task_doesnotexist")
    assert info.value.status == 404
    assert paths(simulator, "GET") == ["/v1/videos/sora-2:task_doesnotexist", "/v1/video/query"]


async def test_create_rate_limited_then_accepted(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=429, retry_after=0.01))
    notices: list[tuple[int, int]] = []

    async def on_retry(attempt: int, total: int, error: VideoAPIError) -> None:
        notices.append((attempt, total))

    assert (await api.create_task("sora-2", "a cow", on_retry=on_retry)).startswith("sora-2:")
    assert notices == [(2, 5)]
    assert paths(simulator, "POST") == ["/v1/video/create"] * 2


async def test_create_is_not_re_sent_after_a_502(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=502))
    with pytest.raises(ServiceUnavailable):
        await api.create_task("sora-2", "a cow")
    assert paths(simulator, "POST") == ["/v1/video/create"]


async def test_create_with_a_flat_error_in_a_200(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    reply = RawReply([b'{"code": 400, "message": "prompt is required"}'], content_type="application/json")
    with pytest.raises(RequestRejected) as info:
        await make_api(await raw_server(reply), http).create_task("sora-2", "")
    assert "prompt is required" in info.value.user_message


async def test_get_is_retried_on_5xx(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    down = RawReply([b"<html>upstream down</html>"], status=503, content_type="text/html")
    ok = RawReply([b'{"id": "grok:1", "status": "processing", "progress": 40}'], content_type="application/json")
    api = make_api(await raw_server(down, RawReply([b"{}"], status=500), ok), http)
    status = await api.get_task("grok:1")
    assert (status.state, status.progress) == ("generating", 40)


async def test_rate_limited_get_gives_up_with_retry_after(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    limited = RawReply([b'{"error": {"message": "slow down"}}'], status=429, headers={"Retry-After": "0"},
                       content_type="application/json")
    api = make_api(await raw_server(limited), http, max_attempts=2)
    with pytest.raises(RateLimited) as info:
        await api.get_task("grok:1")
    assert info.value.retry_after == 0


async def test_nobody_listening_is_retried_then_unavailable(http: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:  # find a port that is certainly closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = make_api(f"http://127.0.0.1:{port}", http, max_attempts=3)
    notices: list[int] = []

    async def on_retry(attempt: int, total: int, error: VideoAPIError) -> None:
        notices.append(attempt)

    with pytest.raises(ServiceUnavailable) as info:
        await api.create_task("sora-2", "a cow", on_retry=on_retry)
    assert notices == [2, 3]  # nothing was sent, so even a POST may be retried
    assert info.value.user_message == "The video service isn't answering right now."


def test_the_key_never_shows_in_repr() -> None:
    api = VideoAPI("https://api.example.com", "sk-very-secret", None)  # type: ignore[arg-type]
    assert "sk-very-secret" not in repr(api)
