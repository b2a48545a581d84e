"""Sharding in the fake, as Discord documents it: each session IDENTIFYs with [shard_id, num_shards] and receives
only its guilds' events; a bad pair closes with 4010, too many guilds on one session with 4011; GET /gateway/bot
recommends a count and counts session starts. Checked with discord.py's own AutoShardedBot, over real sockets."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from fakediscord import FakeDiscord
from tests.fakediscord.fixtures import running_bot


class ShardBot(commands.AutoShardedBot):
    """Answers /where with the shard that received it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=discord.Intents(guilds=True, guild_messages=True),
            guild_ready_timeout=0.05, **options,
        )

        @self.tree.command(name="where", description="Which shard am I on?")
        async def where(interaction: discord.Interaction) -> None:
            guild = interaction.guild
            assert guild is not None
            await interaction.response.send_message(f"shard {guild.shard_id}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py waits 5 s between shards; the fake reports max_concurrency but does not pace


@pytest.mark.fake_discord(max_concurrency=2)
async def test_each_process_receives_only_the_guilds_of_its_shard(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    owner = fake.create_user("olivia")
    guilds = {shard: fake.create_guild(f"Guild {shard}", owner, shard=(shard, 2)) for shard in (0, 1)}
    channels = {shard: guild.create_text_channel("general") for shard, guild in guilds.items()}
    member = fake.create_user("maya")
    for guild in guilds.values():
        guild.add_member(member)
    first, second = ShardBot(shard_count=2, shard_ids=[0]), ShardBot(shard_count=2, shard_ids=[1])
    async with running_bot(fake, first), running_bot(fake, second):
        assert [g.id for g in first.guilds] == [guilds[0].id]
        assert [g.id for g in second.guilds] == [guilds[1].id]
        assert sorted(r.shard for r in fake.gateway.identifies if r.shard) == [(0, 2), (1, 2)]
        assert fake.gateway.shards == [(0, 2), (1, 2)]
        await first.tree.sync()  # commands belong to the application: one sync serves every shard
        for shard in (0, 1):
            answer = await (await fake.slash(member, channels[shard], "where")).wait_done()
            assert answer.content == f"shard {shard}"
        joins = {shard: fake.gateway.sent((shard, 2)).count("GUILD_CREATE") for shard in (0, 1)}
        later = fake.create_guild("Joined later", owner, shard=(1, 2))  # GUILD_CREATE to shard 1 only
        await fake.wait_until(lambda: second.get_guild(later.id) is not None, message="shard 1 to learn its new guild")
        assert first.get_guild(later.id) is None
        assert fake.gateway.sent((0, 2)).count("GUILD_CREATE") == joins[0]
        assert fake.gateway.sent((1, 2)).count("GUILD_CREATE") == joins[1] + 1


@pytest.mark.fake_discord(max_concurrency=2)
async def test_one_process_may_run_every_shard(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    owner = fake.create_user("olivia")
    guilds = [fake.create_guild(f"Guild {shard}", owner, shard=(shard, 2)) for shard in (0, 1)]
    bot = ShardBot(shard_count=2)
    async with running_bot(fake, bot):
        assert sorted(g.id for g in bot.guilds) == sorted(g.id for g in guilds)
        assert sorted(bot.shards) == [0, 1]


async def test_gateway_bot_recommends_shards_and_counts_session_starts(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    owner = fake.create_user("olivia")
    for n in range(3):
        fake.create_guild(f"Guild {n}", owner)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {fake.bot_token}"}) as session:
        async def gateway_bot() -> dict[str, Any]:
            async with session.get(f"{fake.api_base_url}/gateway/bot") as response:
                assert response.status == 200
                return dict(await response.json())

        before = await gateway_bot()
        assert before["shards"] == 1  # about one shard per 1,000 guilds
        assert before["session_start_limit"] == {
            "total": 1000, "remaining": 1000, "reset_after": 86_400_000, "max_concurrency": 1,
        }
        assert await identify(fake, shard=[0, 1]) == "READY"
        assert (await gateway_bot())["session_start_limit"]["remaining"] == 999


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,1"])
async def test_an_invalid_shard_closes_the_socket_with_4010(fake_discord: FakeDiscord, shard: Any) -> None:
    assert await identify(fake_discord, shard=shard) == 4010


async def test_too_many_guilds_on_one_session_closes_it_with_4011(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    owner = fake.create_user("olivia")
    guilds = [fake.create_guild(f"Guild {shard}", owner, shard=(shard, 2)) for shard in (0, 0, 1)]
    fake.gateway.max_guilds_per_shard = 1  # Discord's is 2,500
    assert await identify(fake, shard=None) == 4011  # three guilds on one session: sharding required
    assert await identify(fake, shard=[0, 2]) == 4011  # still two on shard 0
    assert await identify(fake, shard=[1, 2]) == "READY"
    assert len(guilds) == 3


async def identify(fake: FakeDiscord, *, shard: Any) -> str | int:
    """IDENTIFY over a raw socket; the first dispatch's name, or the close code."""
    data: dict[str, Any] = {"token": fake.bot_token, "intents": 1, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_str(json.dumps({"op": 2, "d": data}))
        message = await ws.receive()
        if message.type == aiohttp.WSMsgType.TEXT:
            return str(json.loads(message.data)["t"])
        return ws.close_code or 0
