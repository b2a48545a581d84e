"""The bot shell: every extension loads into a real, offline VideoBot, and close() releases everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import EXTENSIONS, VideoBot, intents_for
from bot.core.config import load_settings


def settings_for(tmp_path: Path, **extra: str):
    env = {"DISCORD_TOKEN": "t" * 30, "VIDEO_API_KEY": "k" * 30, "DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    return load_settings({**env, **extra}, env_file=None)


@pytest.mark.parametrize("extension", EXTENSIONS)
async def test_each_extension_loads_offline(tmp_path: Path, extension: str) -> None:
    async with VideoBot(settings_for(tmp_path), extensions=[extension]) as bot:
        await bot.open_resources()
        await bot.load_initial_extensions()
        assert extension in bot.extensions
    assert bot.http_session.closed


async def test_all_extensions_register_their_commands(tmp_path: Path) -> None:
    async with VideoBot(settings_for(tmp_path, VIDEO_MODELS="sora-2,veo3.1-fast")) as bot:
        await bot.open_resources()
        await bot.load_initial_extensions()
        commands = {c.name: c for c in bot.tree.get_commands()}
        assert "video" in commands
        video = commands["video"].to_dict(bot.tree)
    options = {o["name"]: o for o in video["options"]}
    assert [c["value"] for c in options["model"]["choices"]] == ["sora-2", "veo3.1-fast"]
    # Only the lengths the offered models honour: sora-2 makes 10 s on the chat route, Veo 3.1 Fast 8 s.
    assert [c["value"] for c in options["duration"]["choices"]] == [8, 10]
    assert options["prompt"]["max_length"] == 2000 and options["prompt"]["required"]
    assert options["image"]["type"] == 11  # an attachment


def test_intents_are_minimal_and_content_only_when_enabled(tmp_path: Path) -> None:
    without = intents_for(settings_for(tmp_path))
    assert without.guilds and without.guild_messages and not without.message_content
    assert not without.members and not without.presences
    assert intents_for(settings_for(tmp_path, DISCORD_MESSAGE_CONTENT_INTENT="true")).message_content


def test_mentions_are_off_by_default(tmp_path: Path) -> None:
    bot = VideoBot(settings_for(tmp_path))
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert not mentions.everyone and not mentions.users and not mentions.roles and not mentions.replied_user
