"""The stand-in Discord delivers what a modified client sends (fakediscord/forgery.py), where the official client
refuses: any custom ID on the bot's messages, modal submissions no modal was shown for, replies naming a message
of another channel. Within what Discord itself checks: membership, what the user can see, whose message it is."""

from __future__ import annotations

import discord
import pytest
from discord.ext import commands

from fakediscord import FakeDiscord
from fakediscord.errors import ActionRefused
from tests.fakediscord.fixtures import TypicalGuild, running_bot

FORM = "videobot:remix-modal:7"


class Recorder(commands.Bot):
    """A bot that only notes every interaction it is sent."""

    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.seen: list[discord.Interaction] = []

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.seen.append(interaction)


async def test_forged_presses_and_forms_reach_the_bot_as_written(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    fake, world = fake_discord, discord_world
    posted = fake.messenger.create(world.channel, fake.world.bot_user, content="a message without buttons")
    with pytest.raises(ActionRefused):  # the official client presses only buttons a message has
        await fake.click(world.member, posted.id, "videobot:job:delete:1")
    async with running_bot(fake, Recorder()) as bot:
        await fake.modified_client.click(world.member, posted.id, "videobot:job:delete:1")
        await fake.modified_client.submit_modal(world.member, world.channel, FORM, {"instruction": "x"})
        await fake.wait_until(lambda: len(bot.seen) == 2, message="both forged interactions")
    press, form = bot.seen
    assert press.type is discord.InteractionType.component and press.data == {
        "custom_id": "videobot:job:delete:1", "component_type": 2,
    }
    assert press.message is not None and press.message.id == posted.id and press.channel_id == world.channel.id
    assert form.type is discord.InteractionType.modal_submit and form.message is None
    assert form.data is not None and form.data["custom_id"] == "videobot:remix-modal:7"
    assert form.guild_id == world.guild.id


async def test_what_discord_itself_refuses_stays_refused(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    fake, world = fake_discord, discord_world
    outsider = fake.create_user("outsider")
    by_a_member = await fake.say(world.member, world.channel, "hello")
    posted = fake.messenger.create(world.channel, fake.world.bot_user, content="the bot's")
    with pytest.raises(ActionRefused):  # not in the server
        await fake.modified_client.submit_modal(outsider, world.channel, "videobot:remix-modal:7", {"instruction": "x"})
    with pytest.raises(ActionRefused):  # a member's message: Discord would send the press to no application
        await fake.modified_client.click(world.member, by_a_member, "videobot:job:delete:1")
    other = world.guild.create_text_channel("elsewhere")
    with pytest.raises(ActionRefused):  # a form names a message of the channel it is sent from
        await fake.modified_client.submit_modal(world.member, other, "videobot:remix-modal:7", {}, message=posted.id)
    reply = await fake.modified_client.reply_elsewhere(world.member, other, "continue", reply_to=posted.id)
    assert reply.reference is not None and reply.reference["channel_id"] == str(world.channel.id)
