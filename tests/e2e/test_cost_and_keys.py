"""Cost and per-server keys end to end: prices turn units into money in /quota top and the moderator log; a
server's own key, typed into a form, pays for that server's videos and is never shown, logged or stored in the
clear."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.quotas.keys import NO_SECRET
from bot.videoapi.simulator import Scenario, key_fingerprint
from tests.e2e.conftest import Harness, start
from tests.e2e.test_quotas import answer, line_ending, log_lines

SERVER_KEY = "sk-art-club-own-7f3a9c2e1b"
BOT_KEY = "sk-test-0123456789"  # the harness's VIDEO_API_KEY


def everything_shown(harness: Harness) -> str:
    """Every message and embed the stand-in Discord holds, in any channel, public or private."""
    return "\n".join(m.content + json.dumps(m.embeds) for m in harness.fake.world.messages.values())


def database_bytes(database: Path) -> bytes:
    """The SQLite file and its write-ahead log, as they lie on disk."""
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


async def set_key_through_the_form(harness: Harness, key: str) -> str:
    """/videobot key set as the moderator, type `key` into the form; the private answer."""
    world = harness.world
    opened = await harness.fake.slash(world.moderator, world.channel, "videobot key set")
    modal = (await opened.wait_response()).modal
    assert modal is not None and modal["title"] == "This server's video API key"
    field = modal["components"][0]["components"][0]
    submitted = await harness.fake.submit_modal(world.moderator, opened, {field["custom_id"]: key})
    return await harness.private_answer(submitted)


async def test_a_server_key_set_through_the_form_pays_for_its_videos_and_is_never_shown(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    world = harness.world
    mod_log = world.guild.create_text_channel("mod-log")
    secret = Fernet.generate_key().decode()
    async with harness.bot(SERVER_KEY_SECRET=secret, VIDEO_PRICES="sora-2=0.15") as bot:
        await answer(harness, world.moderator, "videobot settings", mod_log_channel=mod_log)
        _, before = await start(harness, "A cow with wings, on the bot's key")
        await harness.wait_title(before, "✅")

        assert await set_key_through_the_form(harness, SERVER_KEY) == (
            "This server's own API key is set (…2e1b). Its videos now use it and still count against this "
            "server's quotas. The key is never shown again."
        )
        _, after = await start(harness, "A cow with wings, on the server's key")
        await harness.wait_title(after, "✅")
        status = await answer(harness, world.moderator, "videobot status")
        lines = await log_lines(harness, mod_log, 4)  # settings change, first video, key change, second video
        finished = await line_ending(harness, lines[-1], "✅")
        stored = await bot.store.server_keys.get(world.guild.id)

    chats = [r for r in harness.simulator.requests if r.path == "/v1/chat/completions"]
    assert [r.key_fingerprint for r in chats] == [key_fingerprint(BOT_KEY), key_fingerprint(SERVER_KEY)]
    assert "API key: own key set ✓ (…2e1b)" in status
    assert "Spent today: $0.30 for 2 videos (of which $0.15 on this server's own key)" in status
    assert "✅" in finished.content and finished.content.endswith(" · $0.15")  # the video's line shows its cost
    assert any(m.content == f"🔑 <@{world.moderator.id}> set this server's own video API key"
               for m in harness.fake.messages(mod_log))
    # Only ciphertext is kept, and the key appears nowhere: not in a message, a log line or the database.
    assert stored is not None and stored.last4 == "2e1b" and SERVER_KEY not in stored.ciphertext
    assert SERVER_KEY not in everything_shown(harness)
    assert SERVER_KEY not in caplog.text
    assert SERVER_KEY.encode() not in database_bytes(harness.database)


async def test_quota_top_shows_what_the_period_cost(harness: Harness) -> None:
    world = harness.world
    async with harness.bot(VIDEO_PRICES="sora-2=0.15,veo3.1-fast=0.40"):
        for user, model in ((world.member, "sora-2"), (world.member, "veo3.1-fast"), (world.other_member, "sora-2")):
            _, message = await start(harness, f"A lighthouse by {user.username}", user=user, model=model)
            await harness.wait_title(message, "✅")
        top = await answer(harness, world.moderator, "quota top", period="week")
    assert f"Cost: <@{world.member.id}> $0.55 · <@{world.other_member.id}> $0.15" in top.splitlines()
    assert top.splitlines()[-1] == "Spent this week: $0.70 for 3 videos"


async def test_without_the_environment_secret_setting_a_key_is_refused_in_a_sentence(harness: Harness) -> None:
    world = harness.world
    async with harness.bot() as bot:
        assert await answer(harness, world.moderator, "videobot key set") == NO_SECRET
        assert await bot.store.server_keys.get(world.guild.id) is None


async def test_clearing_the_key_returns_the_server_to_the_bots_key(harness: Harness) -> None:
    world = harness.world
    async with harness.bot(SERVER_KEY_SECRET=Fernet.generate_key().decode()) as bot:
        assert (await answer(harness, world.moderator, "videobot key clear")).startswith("This server has no API key")
        await set_key_through_the_form(harness, SERVER_KEY)
        assert await answer(harness, world.moderator, "videobot key clear") == (
            "This server's own API key is removed; its videos use the bot's key again."
        )
        _, message = await start(harness)
        await harness.wait_title(message, "✅")
        assert await bot.store.server_keys.get(world.guild.id) is None
    chats = [r for r in harness.simulator.requests if r.path == "/v1/chat/completions"]
    assert [r.key_fingerprint for r in chats] == [key_fingerprint(BOT_KEY)]


async def test_a_servers_task_video_is_created_and_recovered_after_a_restart_with_its_own_key(
    harness: Harness,
) -> None:
    harness.simulator.set_default(Scenario(step_delay=0.3, progress_steps=tuple(range(10, 100, 10))))
    secret = Fernet.generate_key().decode()
    async with harness.bot(SERVER_KEY_SECRET=secret) as first:
        await set_key_through_the_form(harness, SERVER_KEY)
        _, progress = await start(harness, "A lighthouse in a storm", model="veo3.1-fast")
        await harness.wait_title(progress, "🎞️ Generating")
        assert (await first.store.jobs.by_message(progress.id)).task_id is not None
    polled_before = len(harness.simulator.requests)
    async with harness.bot(SERVER_KEY_SECRET=secret):  # a restart: the task is picked up, never created again
        await harness.wait_title(progress, "✅ Finished in", timeout=20)
    api = [r for r in harness.simulator.requests if r.path.startswith("/v1/video/")]
    assert [r.path for r in api].count("/v1/video/create") == 1
    assert any(r.path == "/v1/video/query" for r in harness.simulator.requests[polled_before:])
    assert {r.key_fingerprint for r in api} == {key_fingerprint(SERVER_KEY)}  # created and polled on its key
