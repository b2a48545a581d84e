"""Smoke suite: the unmodified discord.py client against the fake, over real sockets."""

from __future__ import annotations

import asyncio
import io
import time

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from fakediscord import ActionRefused, BucketLimit, FakeDiscord, RateLimits
from fakediscord.errors import NOT_ACKNOWLEDGED
from tests.fakediscord.fixtures import TypicalGuild, running_bot

CLIP = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


class Remix(discord.ui.Modal, title="Remix this video"):
    """The Remix modal from UX.md."""

    change = discord.ui.TextInput(
        label="What should change?", custom_id="change", style=discord.TextStyle.paragraph, max_length=1000
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"remixing: {self.change.value}", ephemeral=True)


class AskView(discord.ui.View):
    """A persistent view: Confirm edits the message, Remix opens a modal."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Confirm", custom_id="ask:confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content=f"confirmed by {interaction.user.name}", view=None)

    @discord.ui.button(label="Remix", custom_id="ask:remix")
    async def remix(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(Remix())


class SmokeCog(commands.Cog):
    """Commands exercising each path of the fake."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.seen: list[discord.Message] = []
        self.errors: list[BaseException] = []

    @app_commands.command(name="ask", description="Ask something")
    async def ask(
        self, interaction: discord.Interaction, prompt: str, count: int, file: discord.Attachment | None = None
    ) -> None:
        await interaction.response.defer(thinking=True)
        data = await file.read() if file is not None else b""
        await interaction.followup.send(f"answer to {prompt!r} x{count} ({len(data)} bytes)", view=AskView())

    @app_commands.command(name="clip", description="Start a thread holding a clip")
    async def clip(self, interaction: discord.Interaction, title: str) -> None:
        await interaction.response.send_message(f"🎬 **{title}**")
        starter = await interaction.original_response()
        thread = await starter.create_thread(name=f"🎬 {title}"[:100], auto_archive_duration=1440)
        await thread.send(f"{interaction.user.mention} here it is", file=discord.File(io.BytesIO(CLIP), "clip.mp4"))

    @app_commands.command(name="slow", description="Defers, then edits after a pause")
    async def slow(self, interaction: discord.Interaction, pause: float) -> None:
        await interaction.response.defer()
        await asyncio.sleep(pause)
        try:
            await interaction.edit_original_response(content="done")
        except discord.HTTPException as exc:
            self.errors.append(exc)

    @app_commands.command(name="late", description="Answers after a pause, without deferring")
    async def late(self, interaction: discord.Interaction, pause: float) -> None:
        await asyncio.sleep(pause)
        try:
            await interaction.response.send_message("finally")
        except discord.HTTPException as exc:
            self.errors.append(exc)

    @app_commands.command(name="modonly", description="Moderators only")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def modonly(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("settings changed", ephemeral=True)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(error)
        if isinstance(error, app_commands.MissingPermissions):
            await interaction.response.send_message(
                "Only members with Manage Server can change quotas.", ephemeral=True
            )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if self.bot.user is not None and message.author.id != self.bot.user.id:
            self.seen.append(message)


class SmokeBot(commands.Bot):
    """A small bot built like the production one: intents, client-wide allowed_mentions none, synced tree."""

    def __init__(self, *, message_content: bool = True, members: bool = False) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        intents.members = members
        super().__init__(
            command_prefix="!smoke ",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.cog = SmokeCog(self)

    async def setup_hook(self) -> None:
        await self.add_cog(self.cog)
        self.add_view(AskView())  # persistent: clicks work on messages from before a restart
        await self.tree.sync()


async def test_login_and_ready_in_well_under_a_second(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, record_property: pytest.RecordProperty
) -> None:
    started = time.perf_counter()
    async with running_bot(fake_discord, SmokeBot()) as bot:
        elapsed = time.perf_counter() - started
        record_property("login_to_ready_seconds", round(elapsed, 3))
        assert elapsed < 2.0  # a sanity bound only; typically ~0.07 s
        guild = bot.get_guild(discord_world.guild.id)
        assert guild is not None and guild.get_channel(discord_world.channel.id) is not None
        assert bot.user is not None and bot.user.id == fake_discord.bot_user.id
        assert bot.application_id == fake_discord.application_id
        assert fake_discord.gateway.identifies[0].intents == bot.intents.value
        assert ("ask", 1) in fake_discord.world.commands[None]


async def test_slash_with_string_integer_and_attachment_options(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    async with running_bot(fake_discord, SmokeBot()):
        upload = fake_discord.attachment("in.bin", b"x" * 1234)
        ix = await fake_discord.slash(world.member, world.channel, "ask", prompt="why", count=3, file=upload)
        response = await ix.wait_response()
        assert response.kind == "deferred" and not response.ephemeral
        answer = await ix.wait_done()
        assert answer.content == "answer to 'why' x3 (1234 bytes)"  # the bot downloaded the file from the CDN
        assert [b["label"] for b in answer.buttons()] == ["Confirm", "Remix"]
        assert answer.edits[0].flags & 128  # it was a "thinking…" placeholder before the followup filled it


async def test_guild_synced_command_is_found_by_guild_id(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    async with running_bot(fake_discord, SmokeBot()) as bot:
        guild = discord.Object(discord_world.guild.id)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        ix = await fake_discord.slash(discord_world.member, discord_world.channel, "ask", prompt="hi", count=1)
        assert ix.payload["data"]["guild_id"] == str(discord_world.guild.id)
        assert (await ix.wait_done()).content == "answer to 'hi' x1 (0 bytes)"


async def test_thread_from_message_and_multipart_upload(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    world = discord_world
    async with running_bot(fake_discord, SmokeBot()) as bot:
        ix = await fake_discord.slash(world.member, world.channel, "clip", title="A cow with wings")
        starter = (await ix.wait_response()).message
        assert starter is not None and starter.content == "🎬 **A cow with wings**"
        thread = await asyncio.wait_for(_thread_of(fake_discord, starter.id), 5)
        assert thread.id == starter.id and thread.name == "🎬 A cow with wings" and thread.parent_id == world.channel.id
        posted = await fake_discord.wait_for_message(thread, lambda m: bool(m.attachments))
        assert posted.attachments[0].filename == "clip.mp4" and posted.attachments[0].data == CLIP
        assert posted.attachments[0].content_type == "video/mp4"
        assert posted.mentions == [] and posted.allowed_mentions == {"parse": []}  # client-wide none was merged in
        assert isinstance(bot.get_channel(thread.id), discord.Thread)  # THREAD_CREATE reached the cache


async def _thread_of(fake: FakeDiscord, message_id: int) -> discord.abc.Snowflake:
    await fake.wait_until(lambda: fake.thread_of(message_id) is not None, message="a thread")
    thread = fake.thread_of(message_id)
    assert thread is not None
    return thread  # type: ignore[return-value]


async def test_button_click_updates_the_message(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    world = discord_world
    async with running_bot(fake_discord, SmokeBot()):
        ix = await fake_discord.slash(world.member, world.channel, "ask", prompt="why", count=1)
        answer = await ix.wait_done()
        click = await fake_discord.click(world.other_member, answer, "Confirm")
        response = await click.wait_response()
        assert response.kind == "update"
        now = fake_discord.message(answer.id)
        assert now.content == "confirmed by sam" and now.components == []
        assert [e.content for e in now.edits] == ["", "answer to 'why' x1 (0 bytes)"]


async def test_persistent_button_opens_a_modal_that_can_be_submitted(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    async with running_bot(fake_discord, SmokeBot()):
        answer = await (await fake_discord.slash(world.member, world.channel, "ask", prompt="p", count=1)).wait_done()
        opened = await fake_discord.click(world.member, answer, "ask:remix")
        assert (await opened.wait_response()).kind == "modal"
        assert opened.modal is not None and opened.modal["title"] == "Remix this video"
        with pytest.raises(ActionRefused):
            await fake_discord.submit_modal(world.member, opened, {"change": "x" * 1001})  # over max_length
        submitted = await fake_discord.submit_modal(world.member, opened, {"change": "now at night"})
        reply = (await submitted.wait_response()).message
        assert reply is not None and reply.ephemeral and reply.content == "remixing: now at night"
        assert reply.id not in [m.id for m in fake_discord.messages(world.channel)]
        assert [m.content for m in fake_discord.ephemeral_messages(world.member)] == ["remixing: now at night"]


@pytest.mark.parametrize("content_intent", [True, False], ids=["with-content-intent", "without-content-intent"])
async def test_replies_in_a_thread(
    fake_discord: FakeDiscord, discord_world: TypicalGuild, content_intent: bool
) -> None:
    world = discord_world
    bot = SmokeBot(message_content=content_intent)
    async with running_bot(fake_discord, bot):
        ix = await fake_discord.slash(world.member, world.channel, "clip", title="cow")
        starter = (await ix.wait_response()).message
        assert starter is not None
        thread = await asyncio.wait_for(_thread_of(fake_discord, starter.id), 5)
        video = await fake_discord.wait_for_message(thread, lambda m: bool(m.attachments))
        await fake_discord.say(world.member, thread, "now at night", reply_to=video)  # pings the bot
        await fake_discord.say(world.member, thread, "just chatting")
        await fake_discord.say(world.member, thread, "and rain", reply_to=video, ping_on_reply=False)
        await fake_discord.say(world.member, thread, "please", mention_bot=True)
        await fake_discord.wait_until(lambda: len(bot.cog.seen) == 4, message="four messages seen by the bot")
    seen = {m.id: m for m in bot.cog.seen}
    texts = [seen[m.id].content for m in fake_discord.messages(thread) if m.id in seen]
    if content_intent:
        assert texts == ["now at night", "just chatting", "and rain", f"<@{fake_discord.bot_user.id}> please"]
    else:
        assert texts == ["now at night", "", "", f"<@{fake_discord.bot_user.id}> please"]
    first = bot.cog.seen[0]
    assert isinstance(first.channel, discord.Thread) and isinstance(first.author, discord.Member)
    assert first.reference is not None and first.reference.message_id == video.id


@pytest.mark.fake_discord(rate_limits=RateLimits(message_create=BucketLimit(5, 0.5)))
async def test_burst_of_sends_gets_no_429_because_the_client_reads_the_headers(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    async with running_bot(fake_discord, SmokeBot()) as bot:
        channel = bot.get_channel(discord_world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        started = time.perf_counter()
        await asyncio.gather(*(channel.send(f"update {i}") for i in range(12)))
        elapsed = time.perf_counter() - started
    assert len(fake_discord.messages(discord_world.channel)) == 12
    assert fake_discord.rate_limit_hits == []
    assert elapsed >= 0.9  # 12 sends through a 5-per-0.5 s bucket need at least two waits


@pytest.mark.fake_discord(rate_limits=RateLimits(global_=BucketLimit(3, 0.4)), fail_on_429=False)
async def test_a_429_carries_what_discord_py_needs_to_retry(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    extra = [discord_world.guild.create_text_channel(f"room-{i}") for i in range(5)]
    async with running_bot(fake_discord, SmokeBot()) as bot:
        channels = [bot.get_channel(c.id) for c in extra]
        await asyncio.gather(*(c.send("hello") for c in channels))  # type: ignore[union-attr]
    assert all(len(fake_discord.messages(c)) == 1 for c in extra)  # every send succeeded after retrying
    assert fake_discord.rate_limit_hits and {h.scope for h in fake_discord.rate_limit_hits} == {"global"}


async def test_resume_after_a_dropped_socket_replays_missed_events(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    bot = SmokeBot()
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed, "on_resumed")
    async with running_bot(fake_discord, bot):
        fake_discord.drop_gateway()
        await fake_discord.say(world.member, world.channel, "said while the bot was away")
        await asyncio.wait_for(resumed.wait(), 5)
        await fake_discord.wait_until(lambda: len(bot.cog.seen) == 1, message="the missed message")
        assert bot.cog.seen[0].content == "said while the bot was away"
        assert fake_discord.gateway.resumes == ["/resume/"]  # it reconnected to READY's resume_gateway_url
        assert len(fake_discord.gateway.identifies) == 1
        ix = await fake_discord.slash(world.member, world.channel, "ask", prompt="still there?", count=1)
        assert (await ix.wait_done()).content.startswith("answer to 'still there?'")


@pytest.mark.fake_discord(interaction_token_lifetime=0.3)
async def test_an_expired_interaction_token_is_refused(fake_discord: FakeDiscord, discord_world: TypicalGuild) -> None:
    expired = fake_discord.expect_violation(50027)
    async with running_bot(fake_discord, SmokeBot()) as bot:
        ix = await fake_discord.slash(discord_world.member, discord_world.channel, "slow", pause=0.4)
        await ix.wait_for(lambda _: bool(bot.cog.errors), message="the refused edit")
    error = bot.cog.errors[0]
    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (401, 50027)
    assert len(expired.hits) == 1 and ix.original is not None and ix.original.loading  # never edited


@pytest.mark.fake_discord(interaction_response_deadline=0.2)
async def test_a_first_response_after_the_deadline_is_unknown_interaction(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    fake_discord.expect_violation(10062)
    fake_discord.expect_violation(NOT_ACKNOWLEDGED)
    async with running_bot(fake_discord, SmokeBot()) as bot:
        ix = await fake_discord.slash(discord_world.member, discord_world.channel, "late", pause=0.3)
        await ix.wait_for(lambda _: bool(bot.cog.errors), message="the refused response")
    error = bot.cog.errors[0]
    assert isinstance(error, discord.NotFound) and error.code == 10062 and not ix.responded


async def test_manage_server_command_is_refused_to_a_non_moderator(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    world = discord_world
    async with running_bot(fake_discord, SmokeBot()) as bot:
        with pytest.raises(ActionRefused, match="default_member_permissions"):
            await fake_discord.slash(world.member, world.channel, "modonly")  # Discord hides it from maya
        allowed = await fake_discord.slash(world.moderator, world.channel, "modonly")
        ok = (await allowed.wait_response()).message
        assert ok is not None and ok.ephemeral and ok.content == "settings changed"
        # An admin lets maya see the command (Integrations settings); the in-code check still refuses her.
        world.guild.allow_command("modonly", world.member)
        refused = await fake_discord.slash(world.member, world.channel, "modonly")
        denial = (await refused.wait_response()).message
        assert denial is not None and denial.ephemeral
        assert denial.content == "Only members with Manage Server can change quotas."
        assert isinstance(bot.cog.errors[0], app_commands.MissingPermissions)
        assert fake_discord.messages(world.channel) == []  # both answers were ephemeral


@pytest.mark.fake_discord(message_content_granted=False)
async def test_a_privileged_intent_that_is_not_granted_closes_with_4014(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(fake_discord, SmokeBot(message_content=True)):
            pass
    assert 4014 in fake_discord.gateway.close_codes


@pytest.mark.fake_discord(members_intent_granted=True)
async def test_members_intent_gets_the_member_list_by_chunking(
    fake_discord: FakeDiscord, discord_world: TypicalGuild
) -> None:
    async with running_bot(fake_discord, SmokeBot(members=True)) as bot:
        guild = bot.get_guild(discord_world.guild.id)
        assert guild is not None and guild.chunked
        assert {m.name for m in guild.members} == {"olivia", "mo", "maya", "sam", "VideoBot"}
        late = fake_discord.create_user("late")
        discord_world.guild.add_member(late)
        await fake_discord.wait_until(lambda: guild.get_member(late.id) is not None, message="GUILD_MEMBER_ADD")
