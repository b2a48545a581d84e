"""The generation engine against the simulator over real sockets: how each profile's request is sent, how
a task is recovered, and every way a video can end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.core.catalog import ProviderProfile, load_profile
from bot.generation.engine import GenerationEngine, GenerationFailed, Outcome, Update, VideoMade, picture_loader
from bot.store import JobParams
from bot.videoapi import VideoAPI
from bot.videoapi.simulator import CHUNKS_THROUGH_TASK_ID, Scenario, Simulator
from tests.local_server import serving

PROMPT = "A cow with wings flying over a farm at sunset"
HISTORY = [{"role": "user", "content": PROMPT}]
PLAIN = JobParams(PROMPT)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def kkiai(simulator: Simulator) -> ProviderProfile:
    """The default profile, its Raw Data pages answered by the simulator instead of asyncdata.net."""
    return load_profile("kkiai").with_raw_data_url(simulator.raw_data_url)


def engine_for(
    simulator: Simulator, http: aiohttp.ClientSession, provider: ProviderProfile | None = None,
    trusted: tuple[str, ...] = (), *, outage_limit: int = 20, deadline: float = 30,
) -> GenerationEngine:
    assert simulator.base_url
    origins = (simulator.media_origin, *trusted)
    api = VideoAPI(simulator.base_url, "sk-test-key-0123456789", http, backoff=0.01, read_timeout=5,
                   trusted_media_origins=origins)
    return GenerationEngine(api, provider or kkiai(simulator), poll_interval=0.01, deadline=deadline,
                            load_image=picture_loader(http, origins), poll_outage_limit=outage_limit)


@pytest.fixture
def engine(simulator: Simulator, http: aiohttp.ClientSession) -> GenerationEngine:
    return engine_for(simulator, http)


async def run(engine: GenerationEngine, params: JobParams = PLAIN, task_id: str | None = None,
              history: list[dict[str, str]] = HISTORY, model: str = "sora-2") -> tuple[Outcome, list[Update]]:
    updates: list[Update] = []

    async def report(update: Update) -> None:
        updates.append(update)

    outcome = await engine.run(model=model, params=params, history=history, task_id=task_id, report=report)
    return outcome, updates


def made(outcome: Outcome) -> VideoMade:
    assert isinstance(outcome, VideoMade), outcome
    return outcome


def failed(outcome: Outcome, kind: str) -> GenerationFailed:
    assert isinstance(outcome, GenerationFailed) and outcome.kind == kind, outcome
    return outcome


def chats(simulator: Simulator) -> list[dict]:
    return [r.json for r in simulator.requests if r.path == "/v1/chat/completions"]


async def test_landscape_is_asked_in_words_the_service_reads_and_the_length_by_the_model(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(step_delay=0.02))  # progress arrives over time, as from the real service
    result, updates = await run(engine, JobParams(PROMPT, orientation="landscape", duration=10))
    outcome = made(result)
    body = chats(simulator)[-1]
    # The chat flow documents model, messages and stream only (seed 004): no option fields, no length word.
    assert set(body) == {"model", "messages", "stream"}
    assert body["messages"] == [{"role": "user", "content": f"{PROMPT}\n\n横屏 16:9"}]
    task = simulator.task(outcome.task_id or "")
    assert task is not None and (task.orientation, task.duration) == ("landscape", 10)
    assert '"orientation": "landscape"' in outcome.content and outcome.service_note is None
    progress = [u.progress for u in updates if u.stage == "generating" and u.progress is not None]
    assert progress == sorted(progress) and progress[-1] == 88
    assert updates[0].stage == "waiting"


async def test_a_service_that_made_something_else_is_told_in_one_sentence(
    simulator: Simulator, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    # The old assumption, written as an operator's override: options as body fields. The service ignores
    # them, makes its default, and says so in its ```json echo; the member must hear of it.
    override = tmp_path / "body-fields.toml"
    override.write_text('extends = "kkiai"\n[[models]]\nname = "sora-2"\n'
                        'options = { orientation = "body", duration = "body" }\n', encoding="utf-8")
    engine = engine_for(simulator, http, load_profile(str(override)).with_raw_data_url(simulator.raw_data_url))
    outcome = made((await run(engine, JobParams(PROMPT, orientation="landscape", duration=15)))[0])
    assert chats(simulator)[-1]["orientation"] == "landscape"
    assert outcome.service_note == "You asked for landscape; the service made portrait, and you asked for 15 s; " \
        "the service made 10 s."


async def test_an_echo_that_names_the_orientation_as_a_mode_is_compared_too(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(echo_mode=True))
    outcome = made((await run(engine, JobParams(PROMPT, orientation="landscape", duration=10)))[0])
    assert '"mode": "横屏模式"' in outcome.content and outcome.service_note is None


async def test_refusal_is_a_failure_with_the_reason(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(outcome="refusal", refusal_reason="similarity to third-party content"))
    result, _ = await run(engine)
    assert "similarity to third-party content" in failed(result, "refused").error


async def test_a_failed_render_is_not_called_a_refusal(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(outcome="failure", failure_reason="The render farm caught fire."))
    result, _ = await run(engine)
    assert "render farm caught fire" in failed(result, "failed").error


async def test_the_bold_reason_line_is_what_the_member_reads(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(outcome="refusal", bold_reason=True, language="zh",
                               refusal_reason="This content may violate our guardrails around nudity."))
    result, _ = await run(engine)
    assert failed(result, "refused").error == "This content may violate our guardrails around nudity."


async def test_an_error_event_after_the_task_id_asks_the_task_which_finished(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(error_code="upstream_error", failure_reason="Gateway reset."))
    outcome = made((await run(engine))[0])
    task = simulator.task(outcome.task_id or "")
    assert task is not None and any(r.path == f"/source/{task.shown_id}" for r in simulator.requests)


async def test_an_error_event_after_the_task_id_then_a_refused_task_is_classified_by_its_code(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(error_code="moderation_blocked", outcome="refusal", refusal_reason="moderation_blocked"))
    outcome = failed((await run(engine))[0], "refused")
    assert (outcome.code, outcome.billing) == ("moderation_blocked", "billed")  # chat route: failures billed
    assert outcome.error.startswith("The video service's moderation stopped this video")


async def test_a_stream_cut_after_the_task_id_recovers_through_the_raw_data_link(
    engine: GenerationEngine, simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
    outcome = made((await run(engine))[0])
    task = simulator.task(outcome.task_id or "")
    assert task is not None and task.origin == "chat"
    gets = [r for r in simulator.requests if r.method == "GET" and not r.path.startswith("/media/")]
    assert gets and all(r.path == f"/source/{outcome.task_id}" for r in gets)
    assert not any(r.has_authorization for r in gets)  # the key never goes to a Raw Data page
    # What the service said before the cut is kept verbatim for a later remix.
    assert outcome.content == simulator.streamed_text(task.shown_id)[: len(outcome.content)]
    assert f"`{outcome.task_id}`" in outcome.content
    # Meanwhile the task endpoints do not know a chat-made task, whatever its ID form.
    key = {"Authorization": "Bearer sk-test-key-0123456789"}
    for url in (f"{simulator.base_url}/v1/videos/sora-2:{outcome.task_id}",
                f"{simulator.base_url}/v1/video/query?id=sora-2:{outcome.task_id}"):
        async with http.get(url, headers=key) as answer:
            assert answer.status == 404


async def test_a_resumed_chat_task_asks_the_raw_data_page_then_the_task_endpoints_with_their_id_form(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
    first = made((await run(engine_for(simulator, http)))[0])
    assert first.task_id
    # After a restart only the task ID is known: the profile's Raw Data template is used. Where that page
    # does not answer (asyncdata.net unreachable), the task endpoints are asked with the "sora-2:" prefix;
    # they do not know a chat-made task, so only the deadline ends the video, never an outage.
    dead = kkiai(simulator).with_raw_data_url("http://127.0.0.1:9/source/{task_id}")
    outcome = (await run(engine_for(simulator, http, dead, outage_limit=2, deadline=1.0), task_id=first.task_id))[0]
    assert failed(outcome, "timeout").billing == "billed"
    asked = [(r.path, r.query) for r in simulator.requests if r.method == "GET" and r.path.startswith("/v1/")]
    assert (f"/v1/videos/sora-2:{first.task_id}", {}) in asked
    assert ("/v1/video/query", {"id": f"sora-2:{first.task_id}"}) in asked
    # With the Raw Data page reachable, the same resumed task finishes without a new generation.
    chats_before = len(chats(simulator))
    resumed = made((await run(engine_for(simulator, http), task_id=first.task_id))[0])
    assert resumed.video_url == first.video_url and len(chats(simulator)) == chats_before


async def test_a_task_unknown_everywhere_is_reported_lost(simulator: Simulator, engine: GenerationEngine) -> None:
    outcome = (await run(engine, task_id="task_0000000000nowhere"))[0]
    assert failed(outcome, "failed").error == "The video service no longer knows this video's task."


async def test_stream_dropped_before_the_task_id_is_interrupted_without_a_resend(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID - 1))
    result, _ = await run(engine)
    failed(result, "interrupted")
    assert len(chats(simulator)) == 1  # never billed twice


async def test_service_down_is_retried_then_reported_as_unavailable(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(http_status=503, http_error_times=99))
    result, updates = await run(engine)
    failed(result, "unavailable")
    assert [u.retry for u in updates if u.retry] == [(2, 5), (3, 5), (4, 5), (5, 5)]


async def test_a_picture_goes_in_the_conversation_and_the_video_can_be_remixed(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    picture = "https://cdn.discordapp.com/attachments/1/2/cow.png"
    first = made((await run(engine, JobParams(PROMPT, image_url=picture)))[0])
    sent = chats(simulator)[-1]["messages"][-1]["content"]
    assert sent == [{"type": "text", "text": f"{PROMPT}\n\n竖屏 9:16"},
                    {"type": "image_url", "image_url": {"url": picture}}]
    assert not any(r.path == "/v1/video/create" for r in simulator.requests)
    assert first.sid  # the task and its sid came back, so the conversation goes on
    history = [*HISTORY, {"role": "assistant", "content": first.content},
               {"role": "user", "content": "now at night"}]
    remix = made((await run(engine, JobParams("now at night"), history=history))[0])
    task = simulator.task(remix.task_id or "")
    assert task is not None and task.continues == simulator.task(first.task_id or "").full_id  # type: ignore[union-attr]
    assert chats(simulator)[-1]["messages"][1] == {"role": "assistant", "content": first.content}  # verbatim


async def test_task_route_models_are_created_and_polled(engine: GenerationEngine, simulator: Simulator) -> None:
    picture = "https://cdn.discordapp.com/attachments/1/2/cow.png"
    veo = made((await run(engine, JobParams(PROMPT, orientation="landscape", duration=8, image_url=picture),
                          model="veo3.1-fast"))[0])
    grok = made((await run(engine, JobParams(PROMPT), model="grok"))[0])
    creates = [r.json for r in simulator.requests if r.path == "/v1/video/create"]
    assert creates[0] == {"model": "veo3.1-fast", "prompt": PROMPT, "images": [picture], "aspect_ratio": "16:9",
                          "enhance_prompt": True, "enable_upsample": True}
    assert creates[1]["model"] == "grok-video-3" and creates[1]["aspect_ratio"] == "2:3"
    assert veo.task_id and veo.task_id.startswith("veo3.1-fast:") and grok.task_id and grok.task_id.startswith("grok:")
    assert {r.path for r in simulator.requests if r.method == "GET" and "/media/" not in r.path} == {"/v1/video/query"}
    assert not chats(simulator)


async def test_a_task_route_remix_describes_the_whole_thread(engine: GenerationEngine, simulator: Simulator) -> None:
    first = made((await run(engine, model="veo3.1-fast"))[0])
    history = [*HISTORY, {"role": "assistant", "content": first.content}, {"role": "user", "content": "at night"}]
    made((await run(engine, JobParams("at night"), history=history, model="veo3.1-fast"))[0])
    prompts = [r.json["prompt"] for r in simulator.requests if r.path == "/v1/video/create"]
    assert prompts == [PROMPT, f"{PROMPT}\nat night"]


async def test_the_veo_dialect_over_chat_delivers_the_high_quality_video(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    simulator.enqueue(Scenario(dialect="veo", preview=True))
    outcome = made((await run(engine))[0])
    task = simulator.task(outcome.task_id or "")
    assert task is not None and outcome.task_id == task.full_id  # the Veo wording shows the full ID
    assert outcome.video_url and outcome.video_url.endswith(f"/media/simulated_{task.key}.mp4")  # not _sd, not download


@pytest.fixture
async def picture_server() -> AsyncIterator[str]:
    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    app = web.Application()
    app.router.add_get("/cow.png", serve)
    async with serving(app) as base:
        yield base


async def test_the_sora2api_profile_picks_options_by_model_id_and_sends_the_picture_inline(
    simulator: Simulator, http: aiohttp.ClientSession, picture_server: str
) -> None:
    engine = engine_for(simulator, http, load_profile("sora2api"), trusted=(picture_server,))
    simulator.enqueue(Scenario(dialect="gateway"))
    params = JobParams(PROMPT, orientation="landscape", duration=15, image_url=f"{picture_server}/cow.png")
    outcome = made((await run(engine, params, model="sora2"))[0])
    body = chats(simulator)[-1]
    assert body["model"] == "sora2-landscape-15s"
    text, image = body["messages"][-1]["content"]
    assert text == {"type": "text", "text": PROMPT}  # nothing added: the model ID says it all
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert outcome.video_url and outcome.video_url.endswith(".mp4")
    [task] = simulator.tasks.values()
    assert (task.orientation, task.duration) == ("landscape", 15)


async def test_a_cut_sora2api_stream_cannot_be_recovered_and_says_so(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    engine = engine_for(simulator, http, load_profile("sora2api"))
    simulator.enqueue(Scenario(dialect="kkiai", drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
    result, _ = await run(engine, model="sora2")
    assert failed(result, "interrupted").error == (
        "The connection to the video service broke, and this service offers no way to pick the video up."
    )
    assert not any(r.method == "GET" for r in simulator.requests)


async def test_a_profile_can_keep_pictures_on_the_task_endpoint(
    simulator: Simulator, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    # Seed 003's create call for sora pictures, where an operator's profile says so; text stays on the chat.
    override = tmp_path / "task-pictures.toml"
    override.write_text(
        'extends = "kkiai"\n[[models]]\nname = "sora-2"\nimage = "task"\n'
        'task_fields = { orientation = "{orientation}", size = "{size}", duration = "{duration}", '
        "watermark = false, private = false }\n", encoding="utf-8")
    engine = engine_for(simulator, http, load_profile(str(override)).with_raw_data_url(simulator.raw_data_url))
    params = JobParams(PROMPT, orientation="landscape", duration=15, image_url="https://cdn.example/cow.png")
    outcome = made((await run(engine, params))[0])
    [create] = [r.json for r in simulator.requests if r.path == "/v1/video/create"]
    assert create == {"model": "sora-2", "prompt": PROMPT, "images": ["https://cdn.example/cow.png"],
                      "orientation": "landscape", "size": "small", "duration": 15, "watermark": False,
                      "private": False}
    assert outcome.task_id and outcome.task_id.startswith("sora-2:task_")
    assert any(r.path == f"/v1/videos/{outcome.task_id}" for r in simulator.requests)
    assert not chats(simulator)


async def test_a_picture_that_cannot_be_fetched_is_named(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    engine = engine_for(simulator, http, load_profile("sora2api"))
    params = JobParams(PROMPT, image_url="http://127.0.0.1:9/cow.png")  # not Discord's CDN, nor trusted
    result, _ = await run(engine, params, model="sora2")
    assert failed(result, "failed").error == "The picture couldn't be fetched from Discord any more; send it again."
    assert not chats(simulator)


async def test_a_remix_asks_nothing_new_so_no_difference_is_reported(
    engine: GenerationEngine, simulator: Simulator
) -> None:
    first = made((await run(engine, JobParams(PROMPT, orientation="landscape", duration=15)))[0])
    history = [*HISTORY, {"role": "assistant", "content": first.content}, {"role": "user", "content": "at night"}]
    # /video inside a thread fills in portrait when the member picked nothing; the remix words ask nothing.
    remix = made((await run(engine, JobParams("at night", orientation="portrait"), history=history))[0])
    assert '"orientation": "landscape"' in remix.content and remix.service_note is None


async def test_a_task_that_finishes_without_a_usable_link_fails_at_once(http: aiohttp.ClientSession) -> None:
    # The links point at a private address the bot may not open: recovery must not wait for the deadline.
    unsafe = Simulator(media_base_url="http://192.168.1.10:9000")
    await unsafe.start()
    try:
        unsafe.enqueue(Scenario(drop_after_chunks=CHUNKS_THROUGH_TASK_ID))
        assert unsafe.base_url
        api = VideoAPI(unsafe.base_url, "sk-test-key-0123456789", http, backoff=0.01, read_timeout=5)
        engine = GenerationEngine(api, kkiai(unsafe), poll_interval=0.01, deadline=5)
        result, _ = await run(engine)
        # Not "timeout": the first answer that said "completed" ended it, long before the deadline.
        assert "without a video link the bot may open" in failed(result, "failed").error
    finally:
        await unsafe.close()


async def test_still_busy_after_every_retry_says_so(engine: GenerationEngine, simulator: Simulator) -> None:
    simulator.enqueue(Scenario(http_status=429, http_error_times=99))
    result, _ = await run(engine)
    assert failed(result, "busy").error == "The video service is busy right now. Try again in a minute."
