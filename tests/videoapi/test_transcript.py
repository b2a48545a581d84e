"""The transcript parser reads what users will see: task ID, queue, progress, result or failure."""

from __future__ import annotations

import pytest

from bot.core.urls import safe_media_url
from bot.videoapi import Transcript, TranscriptParser, parse_transcript
from bot.videoapi.transcript import UNSAFE_LINK_FAILURE

from .samples import (
    SEED_DELTAS,
    SEED_HISTORY_ASSISTANT,
    SEED_PREVIEW,
    SEED_SID,
    SEED_TASK_ID,
    SEED_VIDEO,
    seed_content,
)

VIDEO = "https://cdn.example.com/v/clip.mp4"
PREVIEW = "https://cdn.example.com/v/clip.webp"


def feed_all(pieces: list[str], **options: object) -> tuple[list[Transcript], Transcript]:
    """Feed pieces; return the distinct snapshots seen along the way and the final one."""
    parser = TranscriptParser(**options)  # type: ignore[arg-type]
    seen: list[Transcript] = []
    for piece in pieces:
        snap = parser.feed(piece)
        if not seen or snap.visible() != seen[-1].visible():
            seen.append(snap)
    return seen, parser.finish()


def test_the_seed_history_turn_parses_to_a_finished_video() -> None:
    t = parse_transcript(SEED_HISTORY_ASSISTANT)
    assert t.task_id == "task_01k7dzptgwf2z87wj2c3t36qk0"
    assert t.state == "completed"
    assert t.progress == 100
    assert t.sid == "s_68ec8accd80c8191ae1fc957af78caaa"
    assert t.video_url == "https://filesystem.site/cdn/20251013/5781a601c5ce5e216e914fef119c99.mp4"
    assert t.preview_url == "https://filesystem.site/cdn/20251013/929d094fcd1844c3ee38be9476fd03.webp"
    assert t.content == SEED_HISTORY_ASSISTANT


def test_the_seed_stream_moves_through_each_state_and_keeps_content_verbatim() -> None:
    seen, final = feed_all([d for d in SEED_DELTAS if d is not None])
    assert [s.state for s in seen] == ["pending", "queued", "generating", "completed"]
    assert seen[1].task_id == SEED_TASK_ID  # known as soon as the ID line arrives
    assert (final.state, final.progress, final.sid) == ("completed", 100, SEED_SID)
    assert (final.video_url, final.preview_url) == (SEED_VIDEO, SEED_PREVIEW)
    assert final.content == seed_content()


def test_the_sid_inside_the_json_block_is_not_taken_for_the_result_sid() -> None:
    # The seed's JSON block echoes the *previous* sid; only the status line's sid is the new one.
    _, final = feed_all([d for d in SEED_DELTAS if d is not None])
    assert final.sid == SEED_SID != "s_68ec8accd80c8191ae1fc957af78caaa"


def test_character_by_character_feeding_gives_the_same_result_and_live_progress() -> None:
    text = seed_content()
    seen, final = feed_all(list(text))
    _, whole = feed_all([text])
    assert final == whole
    progress = [s.progress for s in seen if s.progress is not None]
    assert sorted(set(progress)) == [36, 44, 61, 69, 81, 100]
    assert progress == sorted(progress)


def test_chinese_labels() -> None:
    text = (
        "```json\n{\"prompt\": \"一头会飞的牛\"}\n```\n\n"
        "> 任务ID：`task_01abcdef12345678`\n"
        "> 排队中....\n"
        "> 生成中..\n"
        "> 🏃 进度：12..35..78..\n"
        "> 生成完成 ✅\n"
        "> sid: s_0123456789abcdef\n\n"
        f"![预览图]({PREVIEW})\n"
        f"[在线播放▶️]({VIDEO})"
    )
    seen, final = feed_all(list(text))
    assert list(dict.fromkeys(s.state for s in seen)) == ["pending", "queued", "generating", "completed"]
    assert 35 in [s.progress for s in seen]
    assert final.task_id == "task_01abcdef12345678"
    assert (final.state, final.progress, final.video_url, final.preview_url) == ("completed", 100, VIDEO, PREVIEW)


def test_chinese_failure_line_gives_the_reason() -> None:
    t = parse_transcript("> 任务ID：task_01abcdef12345678\n> 排队中.\n> ❌ 生成失败：内容违反了使用政策")
    assert (t.state, t.error) == ("failed", "内容违反了使用政策")


def test_emoji_with_variation_selectors_and_zero_width_joiners() -> None:
    text = (
        "> \u200bID:\u200b task_0a1b2c3d4e5f\n"
        "> ⏳\ufe0f Queuing\n"
        ">🏃\u200d♂\ufe0f Progress 5..9..\n"
        "> ✅\ufe0f Generation Complete\n"
        f"[▶\ufe0f Play]({VIDEO})\n"
    )
    t = parse_transcript(text)
    assert (t.task_id, t.state, t.video_url) == ("task_0a1b2c3d4e5f", "completed", VIDEO)


@pytest.mark.parametrize(
    "line",
    [
        "> ID: `task_01k7e5w9z5f2d91pekrqy59rwc`",
        "> ID: task_01k7e5w9z5f2d91pekrqy59rwc",
        ">ID:task_01k7e5w9z5f2d91pekrqy59rwc.",
        "**Task ID:** `task_01k7e5w9z5f2d91pekrqy59rwc`",
        "> task_id = task_01k7e5w9z5f2d91pekrqy59rwc",
    ],
)
def test_task_id_with_or_without_backticks(line: str) -> None:
    assert parse_transcript(line + "\n> Queuing...").task_id == "task_01k7e5w9z5f2d91pekrqy59rwc"


def test_model_prefixed_ids_keep_their_prefix() -> None:
    assert parse_transcript("> ID: `veo3.1-fast:1770350082-trii1OXZc3`").task_id == "veo3.1-fast:1770350082-trii1OXZc3"


def test_task_id_split_across_chunks_is_not_reported_half_done() -> None:
    parser = TranscriptParser()
    assert parser.feed("> ID: `task_01k7e5").task_id is None
    assert parser.feed("w9z5f2d91pek").task_id is None
    assert parser.feed("rqy59rwc`").task_id == "task_01k7e5w9z5f2d91pekrqy59rwc"


def test_task_id_from_the_data_preview_link_when_the_label_is_unknown() -> None:
    t = parse_transcript(">[Data Preview](https://asyncdata.net/web/task_01k7abc123def) | [Raw](x)\n> Queuing.")
    assert t.task_id == "task_01k7abc123def"


@pytest.mark.parametrize("dots", ["", ".", "...", "." * 40, "…"])
def test_any_number_of_dots(dots: str) -> None:
    assert parse_transcript(f"> ID: task_0a1b2c3d\n> Queuing{dots}").state == "queued"
    assert parse_transcript(f"> ID: task_0a1b2c3d\n> Queuing.\n> Generating{dots}").state == "generating"


def test_progress_numbers_split_across_chunks() -> None:
    parser = TranscriptParser()
    parser.feed("> ID: task_0a1b2c3d\n>🏃 Progress ")
    assert parser.feed("3").progress is None  # "3" may be the start of "36"
    assert parser.feed("6..").progress == 36
    assert parser.feed("4").progress == 36
    assert parser.feed("4..").progress == 44
    assert parser.feed("\n").progress == 44


def test_progress_never_goes_backwards_and_ignores_non_percentages() -> None:
    t = parse_transcript("> ID: task_0a1b2c3d\n> Queuing (position 3 of 12)\n>🏃 Progress 50..40..61..250..7/100")
    assert (t.state, t.progress) == ("generating", 61)


def test_progress_label_alone_on_a_line_of_a_long_stream() -> None:
    ticks = "..".join(str(i * 100 // 400) for i in range(400))
    _, final = feed_all(["> ID: task_0a1b2c3d\n>🏃 Progress ", *[t + ".." for t in ticks.split("..")]])
    assert (final.state, final.progress) == ("generating", 99)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "> ID: `task_0a1b2c3d`\n> Queuing.\n\n> ❌ Generation failed: Content policy violation: "
            "similarity to third-party content",
            "Content policy violation: similarity to third-party content",
        ),
        ("> ID: task_0a1b2c3d\n> ❌ Content policy violation", "Content policy violation"),
        ("> ID: task_0a1b2c3d\n> Generation failed ❌\n> Reason: the upstream timed out", "the upstream timed out"),
        ("> ID: task_0a1b2c3d\n> ❌ Generation failed\n> This prompt may violate our policies.",
         "This prompt may violate our policies."),
        ("Error: upstream returned no video", "upstream returned no video"),
    ],
)
def test_failures_reported_in_text(text: str, reason: str) -> None:
    t = parse_transcript(text)
    assert (t.state, t.error) == ("failed", reason)


def test_failure_without_a_reason_still_has_a_sentence() -> None:
    t = parse_transcript("> ID: task_0a1b2c3d\n> ❌")
    assert t.state == "failed"
    assert t.error


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't create videos of real public figures.",
        "This request violates our content policy.",
        "抱歉，无法生成该视频。",
    ],
)
def test_a_refusal_sentence_without_any_task_is_a_failure(text: str) -> None:
    t = parse_transcript(text)
    assert (t.state, t.task_id, t.error) == ("failed", None, text)


def test_words_inside_the_prompt_block_do_not_count() -> None:
    text = (
        "```json\n{\n  \"prompt\": \"a robot that failed, sorry and refused: ❌ Error\",\n"
        "  \"progress\": \"Progress 99\"\n}\n```\n\n> ID: task_0a1b2c3d\n> Queuing."
    )
    t = parse_transcript(text)
    assert (t.state, t.progress, t.error) == ("queued", None, None)


def test_completion_with_a_video_wins_over_an_earlier_apologetic_line() -> None:
    text = (
        "> ID: task_0a1b2c3d\n> Sorry for the wait, the queue is long today\n"
        f"> Generation Complete ✅\n[Play Online▶️]({VIDEO})"
    )
    assert parse_transcript(text).state == "completed"


def test_a_submission_tick_is_not_a_finished_video() -> None:
    t = parse_transcript("> Task submitted ✅\n> ID: task_0a1b2c3d\n> Queuing..")
    assert t.state == "queued"
    assert parse_transcript("> 任务提交成功 ✅\n> 任务ID：task_0a1b2c3d\n> 生成中.").state == "generating"


def test_small_talk_mid_stream_does_not_stop_live_progress() -> None:
    parser = TranscriptParser()
    parser.feed("> ID: task_0a1b2c3d\n> Sorry for the wait, the queue is long today\n")
    assert parser.feed(">🏃 Progress 12..").state == "generating"
    assert parser.feed("40..").progress == 40


def test_a_stream_that_simply_stops_keeps_what_it_knew() -> None:
    parser = TranscriptParser()
    for piece in ["> ID: `task_0a1b2c3d`\n", "> Queuing...\n> Generating.\n\n>🏃 Progress 36..4"]:
        parser.feed(piece)
    t = parser.finish()
    assert (t.task_id, t.state, t.progress, t.video_url) == ("task_0a1b2c3d", "generating", 36, None)


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/clip.mp4",
        "javascript:alert(1)//clip.mp4",
        "https://127.0.0.1/clip.mp4",
        "https://169.254.169.254/latest/clip.mp4",
        "https://[::1]/clip.mp4",
        "https://user:pass@cdn.example.com/clip.mp4",
        "https://localhost/clip.mp4",
        "https://printer.local/clip.mp4",
        "https://10.0.0.7:8443/clip.mp4",
        "file:///etc/passwd.mp4",
        "ftp://cdn.example.com/clip.mp4",
    ],
)
def test_hostile_video_links_are_never_surfaced(url: str) -> None:
    text = f"> ID: task_0a1b2c3d\n> Generation Complete ✅\n![p]({url}.webp)\n[Play Online▶️]({url})"
    t = parse_transcript(text)
    assert t.video_url is None
    assert t.preview_url is None
    assert (t.state, t.error) == ("failed", UNSAFE_LINK_FAILURE)


def test_a_link_with_markdown_injection_does_not_leak_through() -> None:
    text = f"> Generation Complete ✅\n[Play Online▶️](https://evil.example/x.mp4 \"t\")[x]({VIDEO})"
    t = parse_transcript(text)
    assert t.video_url in ("https://evil.example/x.mp4", VIDEO)  # each is a whole, checked https URL
    assert " " not in (t.video_url or "")


def test_http_links_are_accepted_only_from_an_explicitly_trusted_origin() -> None:
    text = "> Generation Complete ✅\n[Play Online▶️](http://127.0.0.1:8765/media/simulated_x.mp4)"
    assert parse_transcript(text).video_url is None
    trusted = parse_transcript(text, trusted_origins=["http://127.0.0.1:8765"])
    assert trusted.video_url == "http://127.0.0.1:8765/media/simulated_x.mp4"
    other_port = parse_transcript(text, trusted_origins=["http://127.0.0.1:9999"])
    assert other_port.video_url is None


def test_safe_media_url_normalises_trusted_origins() -> None:
    assert safe_media_url("http://LOCALHOST:80/a.mp4", ["http://localhost"]) == "http://LOCALHOST:80/a.mp4"
    assert safe_media_url("https://cdn.example.com/a.mp4") == "https://cdn.example.com/a.mp4"
    with pytest.raises(ValueError):
        TranscriptParser(trusted_origins=["127.0.0.1:8080"])  # no scheme: a configuration error


def test_content_is_only_delta_content_unless_there_is_none() -> None:
    parser = TranscriptParser()
    parser.feed("> ID: task_0a1b2c3d\n> Queuing.\n", reasoning=True)
    parser.feed("> Generation Complete ✅\n")
    parser.feed(f"[Play Online▶️]({VIDEO})")
    t = parser.finish()
    assert (t.task_id, t.state, t.video_url) == ("task_0a1b2c3d", "completed", VIDEO)
    assert t.content == f"> Generation Complete ✅\n[Play Online▶️]({VIDEO})"

    only_reasoning = TranscriptParser()
    only_reasoning.feed("> ID: task_0a1b2c3d\n> Queuing.", reasoning=True)
    assert only_reasoning.finish().content == "> ID: task_0a1b2c3d\n> Queuing."


def test_crlf_and_cr_inside_the_text_are_line_ends() -> None:
    text = f"> ID: task_0a1b2c3d\r\n> Queuing.\r> Generation Complete ✅\r\n[Play]({VIDEO})"
    t = parse_transcript(text)
    assert (t.state, t.video_url) == ("completed", VIDEO)
    assert t.content == text


def test_a_huge_line_without_newline_does_not_break_parsing() -> None:
    parser = TranscriptParser()
    parser.feed("> ID: task_0a1b2c3d\n")
    for _ in range(200):
        parser.feed("x" * 10_000)
    parser.feed("\n> Queuing.")
    assert parser.finish().state == "queued"
