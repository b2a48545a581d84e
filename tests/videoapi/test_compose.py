"""The requests a member's ask becomes, per provider profile: words, model IDs, body fields, pictures."""

from __future__ import annotations

from pathlib import Path

from bot.core.catalog import load_profile
from bot.videoapi import Ask, chat_request, task_body, task_prompt

KKIAI = load_profile("kkiai")
SORA2API = load_profile("sora2api")
TURN = [{"role": "user", "content": "A cow with wings"}]


def test_kkiai_writes_the_orientation_and_no_length_word_the_service_ignores() -> None:
    # DMXAPI's sora2-chat.md: "可以在提示词中设置横屏、竖屏、9:16、16:9 等视频比例，系统会自动识别"; the length
    # follows the model on the chat route (issue 21), so no "N秒" is written.
    request = chat_request(KKIAI.model("sora-2"), KKIAI.phrases, TURN, Ask("A cow with wings", "landscape", 10))
    assert request.model == "sora-2" and request.extra == {}
    assert request.messages == [{"role": "user", "content": "A cow with wings\n\n横屏 16:9"}]
    assert request.conveyed == {"orientation", "duration"}  # the one length is asked by choosing the model
    portrait = chat_request(KKIAI.model("sora-2-pro"), KKIAI.phrases, TURN, Ask("A cow with wings", "portrait", 15))
    assert portrait.messages[-1]["content"].endswith("竖屏 9:16")


def test_a_continuation_sends_the_members_words_and_the_answers_verbatim() -> None:
    # Seed 004's continuation: the new user message is the instruction alone.
    answer = "```json\n{\"prompt\": \"A cow\"}\n```\n> ID: `task_01k7abcdef`\n> sid: s_68ec"
    history = [*TURN, {"role": "assistant", "content": answer}, {"role": "user", "content": "now at night"}]
    request = chat_request(KKIAI.model("sora-2"), KKIAI.phrases, history, Ask("now at night", "landscape", 15))
    assert request.messages == history
    assert request.messages is not history  # the caller's history is left alone


def test_a_picture_is_a_vision_part_of_the_newest_message() -> None:
    ask = Ask("start from this", "portrait", 10, image="https://cdn.discordapp.com/a/cow.png")
    request = chat_request(KKIAI.model("sora-2"), KKIAI.phrases, [{"role": "user", "content": "start from this"}], ask)
    assert request.messages[-1]["content"] == [
        {"type": "text", "text": "start from this\n\n竖屏 9:16"},
        {"type": "image_url", "image_url": {"url": "https://cdn.discordapp.com/a/cow.png"}},
    ]


def test_sora2api_chooses_by_model_id_and_adds_no_words() -> None:
    # TheSmallHanCat/sora2api src/services/generation_handler.py MODEL_CONFIG: "sora2-landscape-15s", …
    request = chat_request(SORA2API.model("sora2-pro"), SORA2API.phrases, TURN, Ask("A cow with wings", "portrait", 25))
    assert request.model == "sora2pro-portrait-25s"
    assert request.messages == TURN


def test_an_operator_can_send_options_as_body_fields(tmp_path: Path) -> None:
    override = tmp_path / "mine.toml"
    override.write_text('extends = "kkiai"\n[[models]]\nname = "sora-2"\n'
                        'options = { orientation = "body", duration = "body" }\n', encoding="utf-8")
    profile = load_profile(str(override))
    request = chat_request(profile.model("sora-2"), profile.phrases, TURN, Ask("A cow with wings", "landscape", 15))
    assert request.extra == {"orientation": "landscape", "duration": 15}
    assert request.messages == TURN


def test_task_bodies_fill_each_models_documented_fields() -> None:
    veo = task_body(KKIAI.model("veo3.1-fast"), Ask("a cat", "portrait", 8, image="https://cdn.example/c.png"), "a cat")
    assert veo == {"model": "veo3.1-fast", "prompt": "a cat", "images": ["https://cdn.example/c.png"],
                   "aspect_ratio": "9:16", "enhance_prompt": True, "enable_upsample": True}
    grok = task_body(KKIAI.model("grok"), Ask("a cat", "landscape", None), "a cat")
    assert grok == {"model": "grok-video-3", "prompt": "a cat", "images": [], "aspect_ratio": "3:2", "size": "720P"}


def test_a_sora_task_body_is_seed_003s(tmp_path: Path) -> None:
    # An operator who sends sora pictures through /v1/video/create (seed 003's fields; private=false keeps
    # the video remixable, watermark=false forces it off with retries).
    override = tmp_path / "task.toml"
    override.write_text(
        'extends = "kkiai"\n[[models]]\nname = "sora-2"\nimage = "task"\n'
        'task_fields = { orientation = "{orientation}", size = "{size}", duration = "{duration}", '
        "watermark = false, private = false }\n", encoding="utf-8")
    spec = load_profile(str(override)).model("sora-2")
    body = task_body(spec, Ask("make animate", "portrait", 15, image="https://cdn.example/a.png"), "make animate")
    assert body == {"model": "sora-2", "prompt": "make animate", "images": ["https://cdn.example/a.png"],
                    "orientation": "portrait", "size": "small", "duration": 15, "watermark": False, "private": False}


def test_a_task_route_remix_describes_the_thread() -> None:
    answer = {"role": "assistant", "content": "> ID: `veo3.1-fast:1`"}
    history = [*TURN, answer, {"role": "user", "content": "at night"}]
    assert task_prompt(history) == "A cow with wings\nat night"


def test_a_request_knows_which_options_it_told_the_service() -> None:
    fresh = chat_request(KKIAI.model("sora-2"), KKIAI.phrases, TURN, Ask("A cow with wings", "landscape", 15))
    history = [*TURN, {"role": "assistant", "content": "> ID: `task_01k7abcdef`"}, {"role": "user", "content": "x"}]
    remix = chat_request(KKIAI.model("sora-2"), KKIAI.phrases, history, Ask("x", "landscape", 15))
    by_id = chat_request(SORA2API.model("sora2"), SORA2API.phrases, history, Ask("x", "landscape", 15))
    assert (fresh.conveyed, remix.conveyed, by_id.conveyed) == (
        {"orientation", "duration"}, frozenset(), {"orientation", "duration"}
    )
