"""Vendor text is rendered like member text: a failure reason, a service note or a task ID can plant no
masked link, break no markdown and show no secret, in the progress message and in the moderator log (that
nobody is pinged is checked end to end: every message disables mentions)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.discord_ui.moderation_render import generation_line
from bot.discord_ui.render import render_progress
from bot.generation.state import Phase, ProgressState
from bot.store import Job, JobParams, JobStatus

from .markdown import live_masked_links

START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
HOSTILE_REASONS = [
    "[Verify your account](https://phish.example/login)",
    "Policy. [a](https://phish.example/a) and [b](https://phish.example/b)",  # escape_markdown's one-span hole
    "\\[Verify](https://phish.example/login)",  # a backslash of its own before the link
    "see [**here**](<https://phish.example>) <@123> <@&456> <#789> <t:1:R> @everyone",
    "❌ invalid token sk-live-0123456789abcdefABCD",
]


def failed(reason: str, **changes: object) -> ProgressState:
    base = ProgressState(job_id=7, phase=Phase.FAILED, prompt="a cow", model="sora-2", orientation="portrait",
                         duration=10, started_at=START, finished_at=START, error=reason)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize("reason", HOSTILE_REASONS)
def test_a_failure_reason_renders_as_inert_text(reason: str) -> None:
    description = render_progress(failed(reason)).embed.description or ""
    assert live_masked_links(description) == []
    assert "sk-live" not in description
    assert "phish.example" in description or "invalid token \\*\\*" in description  # shown, as text


@pytest.mark.parametrize("note", HOSTILE_REASONS)
def test_a_service_note_and_a_task_id_render_as_inert_text(note: str) -> None:
    shown = failed("x", phase=Phase.FINISHED, service_note=note, video_url="https://cdn.example/v.mp4",
                   task_id="task_`**x**`[a](https://phish.example)")
    embed = render_progress(shown).embed
    assert live_masked_links(embed.description or "") == []
    task = next(f for f in embed.fields if f.name == "Task ID")
    assert task.value is not None and task.value.count("`") == 2  # one code span, nothing escapes it


@pytest.mark.parametrize("reason", HOSTILE_REASONS)
def test_the_moderator_log_line_renders_a_reason_as_inert_text(reason: str) -> None:
    job = Job(
        id=1, guild_id=1, user_id=5, conversation_id=1, request_turn_id=1, result_turn_id=None,
        status=JobStatus.FAILED, model="sora-2", params=JobParams("a cow"), task_id=None, progress=None,
        channel_id=2, message_id=3, error=reason, error_kind="refused", cancelled_by=None, cost=1, attempts=1,
        created_at=START, started_at=START, finished_at=START,
    )
    line = generation_line(job)
    assert live_masked_links(line) == ["[thread]("]  # the bot's own jump link, and only it
    assert "sk-live" not in line
