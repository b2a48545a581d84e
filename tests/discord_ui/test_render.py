"""Everything the bot renders fits Discord's limits by construction, whatever the prompt or the vendor sends.

Each rendered message is checked with the stand-in Discord's own validator, which follows Discord's
published limits (content 2000, field values 1024, link-button URLs 512, embeds 6000 …).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.discord_ui.limits import escaped
from bot.discord_ui.render import remix_request_text, render_progress, starter_text, thread_name
from bot.generation.state import Phase, ProgressState
from fakediscord.validation import validate_message

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOSTILE_PROMPT = "*_~`|>" * 400  # every character doubles when escaped
LONG_LINK = "https://cdn.example.com/v/" + "a" * 700 + ".mp4?X-Signature=" + "b" * 900


def state(**changes: Any) -> ProgressState:
    base = ProgressState(job_id=7, phase=Phase.GENERATING, prompt="a cow", model="sora-2", orientation="portrait",
                         duration=10, started_at=START, progress=40)
    return dataclasses.replace(base, **changes)


def discord_problems(s: ProgressState) -> list[str]:
    rendered = render_progress(s)
    body = {"embeds": [rendered.embed.to_dict()], "components": rendered.view.to_components()}
    return [f"{'.'.join(map(str, p.path))}: {p.message}" for p in validate_message(body)]


@pytest.mark.parametrize(
    "hostile",
    [
        {"task_id": "task_" + "x" * 2000},  # a task ID over 1024 characters
        {"prompt": HOSTILE_PROMPT},
        {"phase": Phase.FINISHED, "video_url": LONG_LINK, "finished_at": START + timedelta(minutes=2)},
        {"phase": Phase.FAILED, "error": "❌ " + "reason " * 600, "finished_at": START},
        {"phase": Phase.QUEUED, "queue_position": 10**9, "queue_reason": "Server limit: 5 videos at a time"},
        {"prompt": HOSTILE_PROMPT, "task_id": "t" * 5000, "remix_number": 10**6, "trimmed_to": 10**6,
         "quota_note": "0 of 100000 left this month"},
    ],
)
def test_a_progress_message_never_breaks_discords_limits(hostile: dict[str, Any]) -> None:
    assert discord_problems(state(**hostile)) == []


def test_a_link_too_long_for_a_button_is_offered_in_the_description() -> None:
    finished = state(phase=Phase.FINISHED, video_url=LONG_LINK, finished_at=START + timedelta(seconds=30))
    rendered = render_progress(finished)
    labels = [item.label for item in rendered.view.children]  # type: ignore[attr-defined]
    assert labels == ["Remix", "Re-roll", "0", "Refresh link", "Delete"]
    assert f"[▶️ Open the video]({LONG_LINK})" in (rendered.embed.description or "")
    short = render_progress(state(phase=Phase.FINISHED, video_url="https://cdn.example.com/v.mp4",
                                  finished_at=START))
    labels = [item.label for item in short.view.children]  # type: ignore[attr-defined]
    assert labels == ["Remix", "Re-roll", "0", "Open", "Refresh link", "Delete"]


def test_the_task_id_field_is_shortened_not_dropped() -> None:
    fields = render_progress(state(task_id="task_" + "x" * 2000)).embed.fields
    task = next(f for f in fields if f.name == "Task ID")
    assert task.value is not None and task.value.startswith("`task_xxx") and task.value.endswith("…`")
    assert len(task.value) <= 102


@pytest.mark.parametrize("instruction", ["*" * 1000, "_" * 1000, "a\\" * 500, "x" * 1000])
def test_a_remix_request_fits_a_message_after_escaping(instruction: str) -> None:
    text = remix_request_text(instruction, user_id=123456789012345678)
    assert len(text) <= 2000 and validate_message({"content": text}) == []


def test_public_post_and_thread_name_fit_whatever_the_prompt() -> None:
    post = starter_text(HOSTILE_PROMPT, 1, "sora-2", "portrait", 10)
    assert validate_message({"content": post}) == [] and len(post) <= 2000
    assert 1 <= len(thread_name(HOSTILE_PROMPT)) <= 100


@pytest.mark.parametrize("limit", [1, 2, 10, 101])
def test_escaping_is_bounded_and_never_splits_an_escape(limit: int) -> None:
    text = escaped("**bold** and _it_" * 20, limit)
    assert len(text) <= limit
    body = text.removesuffix("…")
    assert not body.endswith("\\") or body.endswith("\\\\")
