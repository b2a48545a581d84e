"""What a finished video's message says about its file: re-encoded to fit, linked and why, how long the link
lasts, a link the vendor no longer has, a deleted video; and that it all fits Discord's limits."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.discord_ui.render import render_progress
from bot.generation.state import Phase, ProgressState
from fakediscord.validation import validate_message

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MB10 = 10 * 1024 * 1024
EXPIRES = int((START + timedelta(days=1)).timestamp())
SIGNED = f"https://cdn.example.com/v.mp4?Expires={EXPIRES}&Signature=abc&Key-Pair-Id=K"
PLAIN = "https://cdn.example.com/v.mp4"
LONG_SIGNED = "https://cdn.example.com/v/" + "a" * 700 + f".mp4?Expires={EXPIRES}&Signature=" + "b" * 900


def finished(**changes: Any) -> ProgressState:
    base = ProgressState(job_id=7, phase=Phase.FINISHED, prompt="a cow", model="sora-2", orientation="portrait",
                         duration=10, started_at=START, finished_at=START + timedelta(minutes=2), progress=100,
                         video_url=SIGNED, preview_url="https://cdn.example.com/p.webp", quota_note="3 of 5 left")
    return dataclasses.replace(base, **changes)


def seen(state: ProgressState) -> tuple[str, list[str]]:
    rendered = render_progress(state)
    body = {"embeds": [rendered.embed.to_dict()], "components": rendered.view.to_components()}
    assert validate_message(body) == []
    labels = [item.label for item in rendered.view.children]  # type: ignore[attr-defined]
    return rendered.embed.description or "", labels


def test_a_re_encoded_video_says_so_with_the_original_link_and_when_it_expires() -> None:
    text, buttons = seen(finished(video_attached=True, reencoded_for=MB10, attached_preview="poster.jpg"))
    assert f"Re-encoded to fit this server's 10 MB limit; original: [link]({SIGNED})." in text
    assert f"The link expires <t:{EXPIRES}:f> (<t:{EXPIRES}:R>)." in text
    assert buttons == ["Remix", "Re-roll", "0", "Open", "Refresh link", "Delete"]


def test_an_attached_original_needs_no_link_talk() -> None:
    text, buttons = seen(finished(video_attached=True))
    assert "link" not in text.lower()
    assert buttons == ["Remix", "Re-roll", "0", "Open", "Delete"]


@pytest.mark.parametrize(
    ("fit_failed", "sentence"),
    [
        (True, "The video is larger than this server's upload limit (10 MB), even re-encoded; open it from the link."),
        (False, "The video is larger than this server's upload limit (10 MB); open it from the link."),
    ],
)
def test_a_linked_video_says_why_and_how_long_its_link_lasts(fit_failed: bool, sentence: str) -> None:
    text, buttons = seen(finished(too_large_limit=MB10, fit_failed=fit_failed))
    assert sentence in text and f"<t:{EXPIRES}:R>" in text
    assert buttons == ["Remix", "Re-roll", "0", "Open", "Refresh link", "Delete"]


def test_a_link_that_does_not_say_when_it_expires_gets_no_date() -> None:
    text, _ = seen(finished(video_url=PLAIN, too_large_limit=MB10))
    assert "expires" not in text


def test_a_link_the_vendor_no_longer_has_is_said_plainly_and_not_offered() -> None:
    text, buttons = seen(finished(too_large_limit=MB10, fit_failed=True, link_gone=True))
    assert text.endswith("The video service no longer has this video, so there is no link to open.")
    assert SIGNED not in text
    assert buttons == ["Remix", "Re-roll", "0", "Delete"]
    text, buttons = seen(finished(video_attached=True, reencoded_for=MB10, link_gone=True))
    assert "Re-encoded to fit this server's 10 MB limit; the video service no longer has the original." in text
    assert buttons == ["Remix", "Re-roll", "0", "Delete"]


def test_a_deleted_video_keeps_its_prompt_and_nothing_else() -> None:
    rendered = render_progress(finished(video_attached=True, attached_preview="preview.webp", deleted_by=11))
    embed = rendered.embed
    assert embed.title == "🗑️ Video deleted"
    assert embed.description == "a cow\n\nDeleted by <@11>; it can no longer be remixed."
    assert embed.image.url is None and embed.footer.text is None
    assert rendered.view.children == []


def test_while_a_re_encode_runs_the_message_says_so() -> None:
    state = finished(phase=Phase.GENERATING, finished_at=None, fitting_for=MB10)
    text, buttons = seen(state)
    assert "Made. Re-encoding it to fit this server's 10 MB upload limit…" in text
    assert buttons == ["Cancel"]


@pytest.mark.parametrize(
    "changes",
    [
        {"video_url": LONG_SIGNED, "video_attached": True, "reencoded_for": MB10},
        {"video_url": LONG_SIGNED, "too_large_limit": MB10, "fit_failed": True, "prompt": "*_~`|>" * 400},
    ],
)
def test_long_signed_links_still_fit_discords_limits(changes: dict[str, Any]) -> None:
    text, buttons = seen(finished(**changes))
    assert "Open" not in buttons and "Refresh link" in buttons
    assert f"[▶️ Open the video]({LONG_SIGNED})" in text
