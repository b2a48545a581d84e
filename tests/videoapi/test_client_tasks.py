"""create_task / get_task / get_raw_data over real sockets: bodies, endpoints, ID forms, safe retries."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.core.catalog import load_profile
from bot.videoapi import Ask, RateLimited, RequestRejected, ServiceUnavailable, VideoAPI, VideoAPIError, task_body
from bot.videoapi.simulator import Scenario, Simulator

from .conftest import RawReply, RawServer, make_api

KKIAI = load_profile("kkiai")
SORA_BODY = {"model": "sora-2", "prompt": "a cow", "images": [], "orientation": "portrait", "size": "small",
             "duration": 10, "watermark": False, "private": False}


def paths(sim: Simulator, method: str) -> list[str]:
    return [r.path for r in sim.requests if r.method == method and r.path.startswith("/v1/")]


async def poll(api: VideoAPI, task_id: str, endpoint: str = "videos") -> list:
    seen = []
    for _ in range(20):
        status = await api.get_task(task_id, endpoint)  # type: ignore[arg-type]
        seen.append(status)
        if status.is_final:
            break
    return seen


async def test_veo_and_grok_bodies_are_the_documented_ones(simulator: Simulator, api: VideoAPI) -> None:
    # Seed 002 shows a veo3.1-fast task's request: model, images, prompt, aspect_ratio, enhance_prompt,
    # enable_upsample. docs.kkiai.com/video-models/grok/unified-format/create-video.html: model "grok-video-3",
    # aspect_ratio "2:3"/"3:2"/"1:1", size "720P", images.
    veo = task_body(KKIAI.model("veo3.1-fast"), Ask("make animate", "landscape", 8, None, "https://cdn.example/a.png"),
                    "make animate")
    grok = task_body(KKIAI.model("grok"), Ask("A kitten is eating a fish.", "landscape"), "A kitten is eating a fish.")
    for body in (veo, grok):
        assert ":" in await api.create_task(body)
    sent = [r.json for r in simulator.requests if r.path == "/v1/video/create"]
    assert sent == [
        {"model": "veo3.1-fast", "prompt": "make animate", "images": ["https://cdn.example/a.png"],
         "aspect_ratio": "16:9", "enhance_prompt": True, "enable_upsample": True},
        {"model": "grok-video-3", "prompt": "A kitten is eating a fish.", "images": [], "aspect_ratio": "3:2",
         "size": "720P"},
    ]
    assert [t.orientation for t in simulator.tasks.values()] == ["landscape", "landscape"]


async def test_a_created_sora_task_polls_through_the_videos_endpoint_to_the_video(
    simulator: Simulator, api: VideoAPI
) -> None:
    task_id = await api.create_task(SORA_BODY)
    assert task_id.startswith("sora-2:task_")  # seed 003's answer
    seen = await poll(api, task_id)
    assert [s.state for s in seen][-1] == "completed"
    assert "generating" in [s.state for s in seen]
    progress = [s.progress for s in seen if s.state == "generating"]
    assert progress == sorted(progress) and progress[0] > 0  # from seed 000's 0..1 progress_pct
    assert seen[-1].video_url and seen[-1].preview_url
    assert all(p.startswith("/v1/videos/sora-2:task_") for p in paths(simulator, "GET"))


async def test_the_task_endpoints_want_the_prefixed_id(simulator: Simulator, api: VideoAPI) -> None:
    task_id = await api.create_task({**SORA_BODY, "model": "sora-2-pro"})
    assert task_id.startswith("sora-2:task_")  # resellers file the pro model's tasks under "sora-2:" too
    bare = task_id.split(":", 1)[1]
    for wrong in (bare, f"sora-2-pro:{bare}"):
        with pytest.raises(RequestRejected):
            await api.get_task(wrong, "videos")
    assert (await api.get_task(task_id, "videos")).state in ("pending", "queued")


async def test_veo_polls_the_query_endpoint_and_prefers_the_upsampled_video(
    simulator: Simulator, api: VideoAPI
) -> None:
    body = task_body(KKIAI.model("veo3.1-fast"), Ask("a cat", "portrait", 8), "a cat")
    task_id = await api.create_task(body)
    seen = await poll(api, task_id, "query")
    final = seen[-1]
    assert final.state == "completed"
    assert final.video_url and final.video_url.endswith(".mp4") and "_sd" not in final.video_url
    assert final.error is None  # stale error fields on a finished task are not a failure
    assert any(s.progress for s in seen if s.state == "generating")  # "NN%" strings
    get = [r for r in simulator.requests if r.method == "GET"]
    assert {r.path for r in get} == {"/v1/video/query"}
    assert get[0].query == {"id": task_id}


async def test_failed_task_reports_the_reason(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(outcome="refusal", refusal_reason="Similarity to third-party content"))
    seen = await poll(api, await api.create_task({**SORA_BODY, "prompt": "a famous mouse"}))
    assert (seen[-1].state, seen[-1].error) == ("failed", "Similarity to third-party content")


async def test_an_unknown_task_is_a_404_rejection(simulator: Simulator, api: VideoAPI) -> None:
    with pytest.raises(RequestRejected) as info:
        await api.get_task("sora-2:task_doesnotexist", "videos")
    assert info.value.status == 404
    assert paths(simulator, "GET") == ["/v1/videos/sora-2:task_doesnotexist"]  # one endpoint, as asked


async def test_a_raw_data_page_is_read_without_the_key_and_its_failed_status_is_news(
    raw_server: RawServer, http: aiohttp.ClientSession
) -> None:
    # The Raw Data page's fields as issue 12 lists them (status, url, failure_reason, running); a failed
    # task there is a status, not an error of the request.
    failed = RawReply([b'{"status": "failed", "running": false, "failure_reason": "moderation blocked"}'],
                      content_type="application/json")
    base = await raw_server(failed)
    status = await make_api("http://api.invalid", http).get_raw_data(f"{base}/source/task_0a1b2c3d4e")
    assert (status.state, status.error) == ("failed", "moderation blocked")


async def test_create_rate_limited_then_accepted(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=429, retry_after=0.01))
    notices: list[tuple[int, int]] = []

    async def on_retry(attempt: int, total: int, error: VideoAPIError) -> None:
        notices.append((attempt, total))

    assert (await api.create_task(SORA_BODY, on_retry=on_retry)).startswith("sora-2:")
    assert notices == [(2, 5)]
    assert paths(simulator, "POST") == ["/v1/video/create"] * 2


async def test_create_is_not_re_sent_after_a_502(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(http_status=502))
    with pytest.raises(ServiceUnavailable):
        await api.create_task(SORA_BODY)
    assert paths(simulator, "POST") == ["/v1/video/create"]


async def test_create_with_a_flat_error_in_a_200(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    reply = RawReply([b'{"code": 400, "message": "prompt is required"}'], content_type="application/json")
    with pytest.raises(RequestRejected) as info:
        await make_api(await raw_server(reply), http).create_task({**SORA_BODY, "prompt": ""})
    assert "prompt is required" in info.value.user_message


async def test_get_is_retried_on_5xx(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    down = RawReply([b"<html>upstream down</html>"], status=503, content_type="text/html")
    ok = RawReply([b'{"id": "grok:1", "status": "processing", "progress": 40}'], content_type="application/json")
    api = make_api(await raw_server(down, RawReply([b"{}"], status=500), ok), http)
    status = await api.get_task("grok:1", "query")
    assert (status.state, status.progress) == ("generating", 40)


async def test_rate_limited_get_gives_up_with_retry_after(raw_server: RawServer, http: aiohttp.ClientSession) -> None:
    limited = RawReply([b'{"error": {"message": "slow down"}}'], status=429, headers={"Retry-After": "0"},
                       content_type="application/json")
    api = make_api(await raw_server(limited), http, max_attempts=2)
    with pytest.raises(RateLimited) as info:
        await api.get_task("grok:1", "query")
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
        await api.create_task(SORA_BODY, on_retry=on_retry)
    assert notices == [2, 3]  # nothing was sent, so even a POST may be retried
    assert info.value.user_message == "The video service isn't answering right now."


def test_the_key_never_shows_in_repr() -> None:
    api = VideoAPI("https://api.example.com", "sk-very-secret", None)  # type: ignore[arg-type]
    assert "sk-very-secret" not in repr(api)
