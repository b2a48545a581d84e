"""The simulator itself: scripting, recording, media, demo conveniences."""

from __future__ import annotations

import aiohttp

from bot.videoapi import VideoAPI
from bot.videoapi.simulator import Scenario, Simulator

from .conftest import make_api, run_stream


async def test_media_is_served_with_the_configured_size_and_marked_simulated(
    simulator: Simulator, api: VideoAPI, http: aiohttp.ClientSession
) -> None:
    simulator.enqueue(Scenario(video_bytes=50_000, preview_bytes=3_000))
    final = (await run_stream(api)).final
    assert final.video_url and final.preview_url
    assert "simulated" in final.video_url and "simulated" in final.preview_url
    async with http.get(final.video_url) as resp:
        video = await resp.read()
        assert resp.content_type == "video/mp4"
    async with http.get(final.video_url) as resp:
        assert await resp.read() == video  # deterministic
    async with http.get(final.preview_url) as resp:
        image = await resp.read()
    assert len(video) == 50_000
    assert len(image) == 3_000 and image.startswith(b"\x89PNG\r\n\x1a\n") and image.endswith(b"IEND\xaeB`\x82")
    async with http.get(f"{simulator.base_url}/media/simulated_task_ffff.mp4") as resp:
        assert resp.status == 404


async def test_enqueued_scenarios_are_used_in_order_then_the_default(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(outcome="refusal"), Scenario(outcome="failure", failure_reason="boom"))
    states = [(await run_stream(api)).final for _ in range(3)]
    assert [(s.state, s.error) for s in states] == [
        ("failed", "Content policy violation: similarity to third-party content"),
        ("failed", "boom"),
        ("completed", None),
    ]


async def test_set_default(simulator: Simulator, api: VideoAPI) -> None:
    simulator.set_default(Scenario(outcome="failure"))
    assert (await run_stream(api)).final.state == "failed"


async def test_an_api_key_can_be_required(http: aiohttp.ClientSession) -> None:
    sim = Simulator(api_key="sk-right")
    base = await sim.start()
    try:
        wrong = await run_stream(make_api(base, http, api_key="sk-wrong"))
        right = await run_stream(make_api(base, http, api_key="sk-right", trusted_media_origins=(base,)))
    finally:
        await sim.close()
    assert type(wrong.error).__name__ == "AuthenticationFailed"
    assert right.final.state == "completed"
    assert all("sk-right" not in str(r.headers) for r in sim.requests)


async def test_demo_prompt_keywords_pick_the_outcome(http: aiohttp.ClientSession) -> None:
    sim = Simulator(Scenario(), prompt_keywords=True)
    base = await sim.start()
    api = make_api(base, http, trusted_media_origins=(sim.media_origin,))
    try:
        refused = await run_stream(api, [{"role": "user", "content": "please refuse this"}])
        failed = await run_stream(api, [{"role": "user", "content": "make it fail"}])
        dropped = await run_stream(api, [{"role": "user", "content": "drop the connection"}])
    finally:
        await sim.close()
    assert refused.final.state == failed.final.state == "failed"
    assert type(dropped.error).__name__ == "StreamInterrupted" and dropped.error.task_id  # type: ignore[union-attr]


async def test_demo_defaults_are_short_but_paced() -> None:
    demo = Simulator.for_demo()
    scenario = demo.default
    steps = scenario.queue_steps + len(scenario.progress_steps) + 2
    assert 2 <= steps * scenario.step_delay <= 10
    assert demo.prompt_keywords


async def test_non_streaming_chat_is_answered_whole(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    body = {"model": "sora-2", "messages": [{"role": "user", "content": "a cow"}], "stream": False}
    async with http.post(f"{simulator.base_url}/v1/chat/completions", json=body) as resp:
        data = await resp.json()
    assert "Generation Complete" in data["choices"][0]["message"]["content"]


async def test_bad_requests_get_a_400_error_body(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{simulator.base_url}/v1/video/create", json={"model": "sora-2"}) as resp:
        assert resp.status == 400
        assert "error" in await resp.json()
