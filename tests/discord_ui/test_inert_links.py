"""A member's words inside the bot's own links (/usage's running videos, the moderator log): a "](" or a URL in a
prompt can neither split the bot's link nor plant one of its own."""

from __future__ import annotations

import re

import pytest

from bot.discord_ui.moderation_render import generation_line, usage_text
from bot.quotas.admission import UsageReport
from bot.quotas.policy import EffectiveLimit
from bot.store import JobParams
from tests.discord_ui.test_moderation_render import T0, job

# Discord's masked links, as its markdown reads them: balanced brackets may nest in the text.
MASKED_LINK = re.compile(r"\[((?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*)\]\(\s*<?((?:\([^)]*\)|[^\s\\])*?)>?\s*\)")
BARE_URL = re.compile(r"https?://[^\s<]+[^<.,:;\"')\]\s]")
JUMP = "https://discord.com/channels/1/2/3"
HOSTILE = [
    "a cat](https://evil.example/x) [b",
    "[click here](https://evil.example/login)",
    "a cow ]( https://evil.example ) ((",
    "see https://evil.example/free-nitro now",
    "<https://evil.example> ] ) [ (",
    "\\](https://evil.example)",
]


def links(text: str) -> list[str]:
    """Every URL Discord would make clickable: masked links' targets, then bare URLs outside them."""
    targets = [m.group(2) for m in MASKED_LINK.finditer(text)]
    rest = MASKED_LINK.sub("", text)
    return targets + BARE_URL.findall(rest)


@pytest.mark.parametrize("prompt", HOSTILE)
def test_usage_keeps_its_jump_link_whole_and_the_prompt_inert(prompt: str) -> None:
    running = job(params=JobParams(prompt))
    text = usage_text("Art Club", UsageReport(EffectiveLimit(5, "week", "guild"), 1, T0, running=[running]))
    last = text.splitlines()[-1]
    assert links(last) == [JUMP]
    assert last.startswith("Running now: 1 — [🎬 ")


@pytest.mark.parametrize("prompt", HOSTILE)
def test_the_moderator_log_line_links_only_to_the_thread(prompt: str) -> None:
    assert links(generation_line(job(params=JobParams(prompt)))) == [JUMP]


def test_a_server_name_is_inert_too() -> None:
    text = usage_text("[Free](https://evil.example)", UsageReport(EffectiveLimit(5, "week", "guild"), 0, T0, []))
    assert links(text) == []
    assert "evil.example" in text  # shown, not linked
