"""The simulator behaves like the public evidence, not like the bot: a test passing only because the
simulator agrees with the bot would test nothing. Each behaviour names the evidence it follows."""

from __future__ import annotations

import aiohttp
import pytest

from bot.videoapi import VideoAPI, parse_transcript, read_echo
from bot.videoapi.simulator import Scenario, Simulator

from .conftest import API_KEY, run_stream

KEY = {"Authorization": f"Bearer {API_KEY}"}


def user(content: object) -> list[dict]:
    return [{"role": "user", "content": content}]


async def chat(sim: Simulator, http: aiohttp.ClientSession, body: dict) -> tuple[int, dict]:
    async with http.post(f"{sim.base_url}/v1/chat/completions", json={"stream": False, **body}) as resp:
        return resp.status, await resp.json()


async def test_option_fields_beside_the_messages_are_ignored(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    # Seed 004 documents model, messages and stream only; no public client sends option fields that take effect.
    _, answer = await chat(simulator, http, {"model": "sora-2", "messages": user("a cow"), "orientation": "landscape",
                                             "duration": 15, "size": "large"})
    [task] = simulator.tasks.values()
    assert (task.orientation, task.duration) == ("portrait", 10)  # sora-2's one length, whatever was asked
    echo = read_echo(answer["choices"][0]["message"]["content"])
    assert echo is not None and echo.orientation == "portrait"


@pytest.mark.parametrize(
    ("model", "prompt", "expected"),
    [
        ("sora-2", "中国街头吃西瓜,生成视频比例9:16", ("portrait", 10)),  # DMXAPI sora2-chat.md's example
        # The length follows the model on the chat route: no transcript shows "15秒" changing it (issue 21).
        ("sora-2", "a cow\n\n横屏 16:9，15秒", ("landscape", 10)),
        ("sora-2-pro", "a cow in landscape, 10 seconds", ("landscape", 15)),
        ("sora-2-hd-15s-chat", "a cow", ("portrait", 15)),  # DMXAPI: the length is in the model ID
        ("sora2-landscape-10s", "a cow", ("landscape", 10)),  # sora2api's MODEL_CONFIG names
        ("sora-2", "a 1980s disco, 9:16", ("portrait", 10)),  # "80s" is no length
    ],
)
async def test_orientation_and_length_are_read_from_the_prompt_or_the_model_id(
    simulator: Simulator, http: aiohttp.ClientSession, model: str, prompt: str, expected: tuple
) -> None:
    status, answer = await chat(simulator, http, {"model": model, "messages": user(prompt)})
    assert status == 200
    [task] = simulator.tasks.values()
    assert (task.orientation, task.duration) == expected
    echo = read_echo(answer["choices"][0]["message"]["content"])
    assert echo is not None and (echo.orientation, echo.duration) == expected


async def test_vision_parts_are_answered_and_malformed_parts_refused(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    parts = [{"type": "text", "text": "make animate"}, {"type": "image_url", "image_url": {"url": "https://c.ex/a.png"}}]
    status, _ = await chat(simulator, http, {"model": "sora-2", "messages": user(parts)})
    assert status == 200
    [task] = simulator.tasks.values()
    assert (task.prompt, task.images) == ("make animate", ("https://c.ex/a.png",))
    status, body = await chat(simulator, http, {"model": "sora-2", "messages": user([{"type": "audio", "x": 1}])})
    assert status == 400 and "unsupported content part" in body["error"]["message"]


async def test_chat_made_tasks_are_found_only_through_their_raw_data_page(
    simulator: Simulator, api: VideoAPI, http: aiohttp.ClientSession
) -> None:
    final = (await run_stream(api)).final
    assert final.raw_data_url == f"{simulator.base_url}/source/{final.task_id}"
    for url in (f"/v1/videos/sora-2:{final.task_id}", f"/v1/videos/{final.task_id}",
                f"/v1/video/query?id=sora-2:{final.task_id}"):
        async with http.get(f"{simulator.base_url}{url}", headers=KEY) as resp:
            assert resp.status == 404, url
    async with http.get(final.raw_data_url) as resp:  # no key: the page is public, as clients read it
        page = await resp.json()
    assert page["status"] == "completed" and page["running"] is False and page["url"] == final.video_url


async def test_created_tasks_are_known_under_their_exact_id_only(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    body = {"model": "sora-2-pro", "prompt": "a cow", "images": [], "orientation": "landscape", "duration": 15}
    async with http.post(f"{simulator.base_url}/v1/video/create", json=body, headers=KEY) as resp:
        task_id = (await resp.json())["id"]
    assert task_id.startswith("sora-2:task_")
    bare = task_id.split(":", 1)[1]
    for wrong in (bare, f"sora-2-pro:{bare}"):
        async with http.get(f"{simulator.base_url}/v1/videos/{wrong}", headers=KEY) as resp:
            assert resp.status == 404
    async with http.get(f"{simulator.base_url}/v1/videos/{task_id}", headers=KEY) as resp:
        assert resp.status == 200 and (await resp.json())["detail"]["input"]["orientation"] == "landscape"


async def test_a_remix_is_recognised_by_the_sid_in_the_conversation(simulator: Simulator, api: VideoAPI) -> None:
    first = (await run_stream(api)).final
    remix = (await run_stream(api, [*user("a cow"), {"role": "assistant", "content": first.content},
                                    *user("with a halo")])).final
    task = simulator.task(remix.task_id or "")
    assert task is not None and task.continues == simulator.task(first.task_id or "").full_id  # type: ignore[union-attr]
    assert f'"sid": "{task.sid}"' in remix.content  # the seed's continuation echo carries a sid


async def test_a_remix_keeps_what_its_words_do_not_change(simulator: Simulator, api: VideoAPI) -> None:
    first = (await run_stream(api, user("a cow\n\n横屏 16:9"))).final
    remix = (await run_stream(api, [*user("a cow"), {"role": "assistant", "content": first.content},
                                    *user("with a halo")])).final
    echo = read_echo(remix.content)
    assert echo is not None and (echo.orientation, echo.duration) == ("landscape", 10)


@pytest.mark.parametrize("dialect", ["veo", "gateway"])
async def test_other_dialects_stream_whole_videos(simulator: Simulator, api: VideoAPI, dialect: str) -> None:
    simulator.enqueue(Scenario(dialect=dialect, preview=True))  # type: ignore[arg-type]
    final = (await run_stream(api)).final
    assert final.state == "completed" and final.video_url and "_sd" not in final.video_url
    [task] = simulator.tasks.values()
    content = simulator.streamed_text(task.full_id)
    assert parse_transcript(content, trusted_origins=[simulator.media_origin]).state == "completed"
    if dialect == "veo":
        assert final.task_id == task.full_id and final.task_id.startswith("sora-2:")


async def test_a_collapsed_stream_parses_like_a_tidy_one(simulator: Simulator, api: VideoAPI) -> None:
    simulator.enqueue(Scenario(collapsed=True, language="zh"))
    final = (await run_stream(api)).final
    assert (final.state, final.progress) == ("completed", 100) and final.sid and final.video_url
