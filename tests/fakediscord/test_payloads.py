"""Every payload the fake builds goes through discord.py's own parsers, so a malformed one fails here
instead of silently killing the client task in an end-to-end test."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.state import ConnectionState

from fakediscord import FakeDiscord, Upload, payloads
from fakediscord.interactions import (
    APPLICATION_COMMAND,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    InteractionResponse,
)
from fakediscord.models import FLAG_EPHEMERAL, AppCommand, Channel, StoredMessage, User
from fakediscord.world import Guild


class Scene:
    """An unstarted fake with a populated guild, and a discord.py state that has parsed READY/GUILD_CREATE."""

    def __init__(self) -> None:
        self.fake = FakeDiscord()
        self.world = self.fake.world
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.world.emit = lambda event, payload: self.events.append((event, payload))
        self.fake.dispatch = lambda event, payload, **_: self.events.append((event, payload))  # type: ignore[method-assign]
        self.owner = self.world.create_user("olivia")
        self.guild: Guild = self.world.create_guild("Art Club", owner=self.owner, premium_tier=2)
        self.mod_role = self.guild.create_role("Moderator", discord.Permissions(manage_guild=True), mentionable=True)
        self.maya = self.world.create_user("maya")
        self.guild.add_member(self.maya)
        self.mo = self.world.create_user("mo")
        self.guild.add_member(self.mo, roles=[self.mod_role])
        self.channel: Channel = self.guild.create_text_channel(
            "video-lab", overwrites={self.mod_role: (discord.Permissions(manage_messages=True), 0)}
        )
        self.client = discord.Client(intents=discord.Intents.all(), guild_ready_timeout=0.01)
        self.state: ConnectionState = self.client._connection

    def boot(self) -> None:
        """Feed READY and GUILD_CREATE to discord.py."""
        self.client.loop = asyncio.get_running_loop()
        ready = payloads.ready(self.world, session_id="s", resume_gateway_url="ws://127.0.0.1:1/", flags=0)
        self.state.parse_ready(copy.deepcopy(ready))
        self.state.parse_guild_create(copy.deepcopy(payloads.guild_create(self.world, self.guild)))

    @property
    def dguild(self) -> discord.Guild:
        """discord.py's Guild."""
        guild = self.state._get_guild(self.guild.id)
        assert guild is not None
        return guild

    def bot_message(self, content: str = "hi", **kwargs: Any) -> StoredMessage:
        """A message from the bot in #video-lab."""
        return self.fake.messenger.create(self.channel, self.world.bot_user, content=content, **kwargs)

    def thread_from(self, message: StoredMessage) -> Channel:
        """A public thread started from a message (as the REST handler builds it)."""
        thread = self.fake.rest._new_thread(self.channel, {"name": "ask-why"}, thread_id=message.id, thread_type=11)
        message.thread_id = thread.id
        return thread

    def record(self, type_: int, member_user: User, data: dict[str, Any], source: StoredMessage | None = None) -> dict:
        """An INTERACTION_CREATE payload."""
        member = self.guild.members[member_user.id]
        return payloads.interaction(
            self.world,
            interaction_id=self.world.ids.next(),
            token="tok",
            type_=type_,
            invoker=member,
            in_channel=self.channel,
            data=data,
            source_message=source,
        )


@pytest.fixture
async def scene() -> AsyncIterator[Scene]:
    """A scene whose discord.py state has been booted; cancels the ready task afterwards."""
    built = Scene()
    built.boot()
    yield built
    task = built.state._ready_task
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _sync(scene: Scene, tree: app_commands.CommandTree, guild_id: int | None) -> None:
    """Store a tree's commands the way PUT /applications/.../commands does."""
    scope = {}
    for command in tree.get_commands(guild=None if guild_id is None else discord.Object(guild_id)):
        data = command.to_dict(tree)
        key = (data["name"], int(data.get("type", 1)))
        scope[key] = AppCommand(
            id=scene.world.ids.next(), name=data["name"], type=key[1], data=data, guild_id=guild_id, version=1
        )
    scene.world.commands[guild_id] = scope


async def test_ready_and_guild_create(scene: Scene) -> None:
    assert scene.state.user is not None and scene.state.user.id == scene.world.bot_user.id
    guild = scene.dguild
    assert guild.name == "Art Club" and guild.owner_id == scene.owner.id
    assert guild.default_role.id == guild.id
    assert guild.filesize_limit == 50 * 1024 * 1024 == scene.guild.filesize_limit
    assert guild.me is not None and guild.me.id == scene.world.bot_user.id
    assert [r.name for r in guild.me.roles if not r.is_default()] == ["VideoBot"]
    assert guild.member_count == 4 and len(guild.members) == 1  # only the bot's member, as Discord sends
    channel = guild.get_channel(scene.channel.id)
    assert isinstance(channel, discord.TextChannel) and channel.name == "video-lab"
    assert channel.overwrites_for(guild.get_role(scene.mod_role.id)).manage_messages is True  # type: ignore[arg-type]


async def test_application_info_and_current_user(scene: Scene) -> None:
    info = discord.AppInfo(scene.state, payloads.application_info(scene.world, flags=scene.fake.application_flags))
    assert info.id == scene.world.application_id and info.interactions_endpoint_url is None
    assert info.flags.gateway_message_content
    me = discord.ClientUser(state=scene.state, data=payloads.current_user(scene.world.bot_user))
    assert me.bot and me.name == "VideoBot"


def _permission_cases(scene: Scene) -> list[tuple[User, Channel]]:
    admin_role = scene.guild.create_role("Admin", discord.Permissions(administrator=True))
    admin = scene.world.create_user("ada")
    scene.guild.add_member(admin, roles=[admin_role])
    locked = scene.guild.create_text_channel(
        "locked",
        overwrites={
            scene.guild.everyone: (0, discord.Permissions(view_channel=True, send_messages=True)),
            scene.mod_role: (discord.Permissions(view_channel=True), 0),
            scene.world.users[scene.mo.id]: (0, discord.Permissions(attach_files=True)),
        },
    )
    quiet = scene.guild.create_text_channel(
        "quiet", overwrites={scene.guild.everyone: (0, discord.Permissions(send_messages=True))}
    )
    users = [scene.owner, scene.maya, scene.mo, admin, scene.world.bot_user]
    return [(u, c) for u in users for c in (scene.channel, locked, quiet)]


async def test_permissions_match_discord_py(scene: Scene) -> None:
    cases = _permission_cases(scene)
    for event, payload in scene.events:
        if event in ("GUILD_ROLE_CREATE", "CHANNEL_CREATE", "GUILD_MEMBER_ADD"):
            getattr(scene.state, f"parse_{event.lower()}")(copy.deepcopy(payload))
    guild = scene.dguild
    for user, channel in cases:
        member = discord.Member(data=payloads.member(scene.guild.members[user.id]), guild=guild, state=scene.state)
        expected = guild.get_channel(channel.id).permissions_for(member)  # type: ignore[union-attr]
        # discord.py additionally strips voice permissions in text channels; Discord's own value keeps them.
        ours = scene.world.permissions_in(channel, user.id) & ~discord.Permissions.voice().value
        assert ours == expected.value, (user.username, channel.name)


async def test_events_emitted_by_world_building_parse(scene: Scene) -> None:
    scene.events.clear()
    role = scene.guild.create_role("Supporter", 0)
    scene.guild.set_role_permissions(role, discord.Permissions(attach_files=True))
    late = scene.world.create_user("late")
    scene.guild.add_member(late, roles=[role])
    scene.guild.set_member_roles(late, [])
    extra = scene.guild.create_text_channel("extra")
    scene.guild.set_overwrite(extra, role, deny=discord.Permissions(view_channel=True))
    second = scene.world.create_guild("Second", owner=scene.owner)
    assert [e for e, _ in scene.events] == [
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_UPDATE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "GUILD_CREATE",
    ]
    for event, payload in scene.events:
        getattr(scene.state, f"parse_{event.lower()}")(copy.deepcopy(payload))
    guild = scene.dguild
    assert guild.get_role(role.id).permissions.attach_files  # type: ignore[union-attr]
    assert guild.get_channel(extra.id).overwrites_for(guild.get_role(role.id)).view_channel is False  # type: ignore
    assert scene.state._get_guild(second.id) is not None


async def test_message_create_reply_with_attachments_and_mentions(scene: Scene) -> None:
    original = scene.bot_message("progress")
    upload = scene.world.store_upload(Upload("cow.png", b"\x89PNG...."), scene.channel.id)
    reply = scene.fake.messenger.create(
        scene.channel,
        scene.maya,
        content=f"now at night {scene.mo.mention} {scene.mod_role.mention}",
        attachments=[upload],
        reply_to=original,
    )
    assert reply.mention_user_ids == [scene.mo.id, scene.world.bot_user.id]  # content mention + reply ping
    payload = payloads.message(scene.world, reply, gateway=True)
    channel = scene.dguild.get_channel(scene.channel.id)
    message = discord.Message(state=scene.state, channel=channel, data=copy.deepcopy(payload))  # type: ignore[arg-type]
    assert isinstance(message.author, discord.Member) and message.author.id == scene.maya.id
    assert message.type is discord.MessageType.reply
    assert message.reference is not None and message.reference.message_id == original.id
    assert isinstance(message.reference.resolved, discord.Message)
    assert message.reference.resolved.content == "progress"
    assert message.attachments[0].filename == "cow.png" and message.attachments[0].size == 8
    assert message.attachments[0].content_type == "image/png"
    assert {m.id for m in message.mentions} == {scene.mo.id, scene.world.bot_user.id}
    assert [r.id for r in message.role_mentions] == [scene.mod_role.id]
    assert message.created_at.year >= 2025
    scene.state.parse_message_create(copy.deepcopy(payload))
    rest_payload = payloads.message(scene.world, reply)
    discord.Message(state=scene.state, channel=channel, data=copy.deepcopy(rest_payload))  # type: ignore[arg-type]


async def test_content_is_stripped_without_the_intent_except_for_exceptions(scene: Scene) -> None:
    bot_message = scene.bot_message("progress")
    plain = scene.fake.messenger.create(scene.channel, scene.maya, content="now at night")
    ping = scene.fake.messenger.create(scene.channel, scene.maya, content="now at night", reply_to=bot_message)
    no_ping = scene.fake.messenger.create(
        scene.channel, scene.maya, content="quiet", reply_to=bot_message, allowed_mentions={"replied_user": False}
    )
    mention = scene.fake.messenger.create(scene.channel, scene.maya, content=f"{scene.world.bot_user.mention} hi")

    def seen(message: StoredMessage) -> str:
        return payloads.message(scene.world, message, gateway=True, content_intent=False)["content"]

    assert seen(plain) == "" and seen(no_ping) == ""
    assert seen(ping) == "now at night" and seen(mention).endswith("hi") and seen(bot_message) == "progress"


async def test_thread_create_update_and_message_in_thread(scene: Scene) -> None:
    starter = scene.bot_message("🎬 a cow")
    thread = scene.thread_from(starter)
    scene.state.parse_thread_create(
        copy.deepcopy(payloads.thread(thread, bot_id=scene.world.bot_user.id, newly_created=True))
    )
    cached = scene.dguild.get_thread(thread.id)
    assert isinstance(cached, discord.Thread) and cached.id == starter.id and cached.parent_id == scene.channel.id
    assert cached.me is not None and cached.type is discord.ChannelType.public_thread
    inside = scene.fake.messenger.create(thread, scene.world.bot_user, content="⏳ Queued")
    payload = payloads.message(scene.world, inside, gateway=True)
    scene.state.parse_message_create(copy.deepcopy(payload))
    message = discord.Message(state=scene.state, channel=cached, data=copy.deepcopy(payload))
    assert message.channel is cached
    starter_payload = payloads.message(scene.world, starter)
    parent = scene.dguild.get_channel(scene.channel.id)
    assert discord.Message(state=scene.state, channel=parent, data=starter_payload).thread is not None  # type: ignore
    thread.archived = True
    scene.state.parse_thread_update(copy.deepcopy(payloads.thread(thread, bot_id=scene.world.bot_user.id)))
    assert scene.dguild.get_thread(thread.id) is None  # discord.py drops archived threads from its cache
    scene.state.parse_message_update(copy.deepcopy(payload))
    scene.state.parse_message_delete(
        {"id": str(inside.id), "channel_id": str(thread.id), "guild_id": str(scene.guild.id)}
    )


async def test_slash_interaction_reaches_a_command_with_every_option_type(scene: Scene) -> None:
    tree = app_commands.CommandTree(scene.client)
    received: dict[str, Any] = {}
    done = asyncio.Event()

    @tree.command(name="ask", description="Ask something", guild=discord.Object(scene.guild.id))
    async def ask(  # noqa: PLR0917 - discord.py maps each parameter to a command option
        interaction: discord.Interaction,
        prompt: str,
        count: int,
        ratio: float,
        loud: bool,
        who: discord.Member,
        where: discord.TextChannel,
        role: discord.Role,
        file: discord.Attachment,
    ) -> None:
        received.update(prompt=prompt, count=count, ratio=ratio, loud=loud, who=who, where=where, role=role, file=file)
        received["permissions"] = interaction.permissions
        received["app_permissions"] = interaction.app_permissions
        received["filesize_limit"] = interaction.filesize_limit
        done.set()

    _sync(scene, tree, scene.guild.id)
    _, _, data = scene.fake.actors.build_slash(
        scene.mo,
        scene.channel,
        "ask",
        {
            "prompt": "why",
            "count": 3,
            "ratio": 0.5,
            "loud": True,
            "who": scene.maya,
            "where": scene.channel,
            "role": scene.mod_role,
            "file": Upload("in.bin", b"x" * 1234),
        },
    )
    payload = scene.record(APPLICATION_COMMAND, scene.mo, data)
    interaction = discord.Interaction(data=copy.deepcopy(payload), state=scene.state)
    assert isinstance(interaction.user, discord.Member) and isinstance(interaction.channel, discord.TextChannel)
    await tree._call(interaction)
    await asyncio.wait_for(done.wait(), 2)
    assert received["prompt"] == "why" and received["count"] == 3 and received["ratio"] == 0.5 and received["loud"]
    assert isinstance(received["who"], discord.Member) and received["who"].id == scene.maya.id
    assert received["where"].id == scene.channel.id and received["role"].id == scene.mod_role.id
    assert received["file"].size == 1234 and received["file"].url.startswith(scene.world.cdn_base)
    assert received["permissions"].manage_guild and received["permissions"].manage_messages
    assert received["app_permissions"].create_public_threads and not received["app_permissions"].administrator
    assert received["filesize_limit"] == scene.guild.filesize_limit


async def test_subcommand_payload_reaches_the_subcommand(scene: Scene) -> None:
    tree = app_commands.CommandTree(scene.client)
    got: list[int] = []
    quota = app_commands.Group(name="quota", description="Quotas")

    @quota.command(name="set", description="Set a limit")
    async def quota_set(interaction: discord.Interaction, limit: int) -> None:
        got.append(limit)

    tree.add_command(quota)
    _sync(scene, tree, None)
    _, _, data = scene.fake.actors.build_slash(scene.mo, scene.channel, "quota set", {"limit": 7})
    assert "guild_id" not in data  # global command
    await tree._call(discord.Interaction(data=scene.record(APPLICATION_COMMAND, scene.mo, data), state=scene.state))
    assert got == [7]


async def test_component_interaction_reaches_the_view(scene: Scene) -> None:
    clicked = asyncio.Event()

    class Confirm(discord.ui.View):
        @discord.ui.button(label="Confirm", custom_id="confirm")
        async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            assert interaction.message is not None and interaction.message.id == message.id
            clicked.set()

    view = Confirm(timeout=None)
    message = scene.bot_message("pick one", components=view.to_components(), flags=FLAG_EPHEMERAL)
    scene.state.store_view(view, message.id)
    stored, data = scene.fake.actors.build_click(scene.maya, message, "Confirm")
    payload = scene.record(MESSAGE_COMPONENT, scene.maya, data, source=stored)
    scene.state.parse_interaction_create(copy.deepcopy(payload))
    await asyncio.wait_for(clicked.wait(), 2)


async def test_modal_submit_reaches_the_modal(scene: Scene) -> None:
    submitted: list[str] = []
    done = asyncio.Event()

    class Remix(discord.ui.Modal, title="Remix this video"):
        change = discord.ui.TextInput(label="What should change?", custom_id="change", max_length=1000)

        async def on_submit(self, interaction: discord.Interaction) -> None:
            submitted.append(self.change.value)
            done.set()

    modal = Remix()
    scene.state.store_view(modal)
    record = InteractionRecord(
        scene.fake,
        interaction_id=1,
        token="t",
        type_=APPLICATION_COMMAND,
        member=scene.guild.members[scene.maya.id],
        channel=scene.channel,
        payload={},
    )
    record.response = InteractionResponse(
        type=9, ephemeral=False, message_id=None, modal=modal.to_dict(), at=0, _fake=scene.fake
    )
    data, _ = scene.fake.actors.build_modal_submit(scene.maya, record, {"change": "now at night"})
    scene.state.parse_interaction_create(copy.deepcopy(scene.record(MODAL_SUBMIT, scene.maya, data)))
    await asyncio.wait_for(done.wait(), 2)
    assert submitted == ["now at night"]


async def test_callback_response_and_command_objects(scene: Scene) -> None:
    tree = app_commands.CommandTree(scene.client)

    @tree.command(name="modonly", description="Moderators only")
    @app_commands.default_permissions(manage_guild=True)
    async def modonly(interaction: discord.Interaction) -> None:
        return None

    _sync(scene, tree, None)
    synced = next(iter(scene.world.commands[None].values()))
    command = app_commands.AppCommand(data=payloads.command(scene.world, synced), state=scene.state)
    assert command.default_member_permissions == discord.Permissions(manage_guild=True)
    _, _, data = scene.fake.actors.build_slash(scene.mo, scene.channel, "modonly", {})
    interaction = discord.Interaction(data=scene.record(APPLICATION_COMMAND, scene.mo, data), state=scene.state)
    message = scene.bot_message("ok", flags=FLAG_EPHEMERAL)
    body = payloads.callback_response(
        interaction_id=interaction.id,
        interaction_type=2,
        response_type=4,
        message_payload=payloads.message(scene.world, message),
        loading=False,
        ephemeral=True,
    )
    response = discord.InteractionCallbackResponse(
        data=body, parent=interaction, state=scene.state, type=discord.InteractionResponseType.channel_message
    )
    assert response.message_id == message.id and response.is_ephemeral()
    assert isinstance(response.resource, discord.InteractionMessage)
    deferred = payloads.callback_response(
        interaction_id=interaction.id,
        interaction_type=3,
        response_type=6,
        message_payload=None,
        loading=False,
        ephemeral=False,
    )
    assert (
        discord.InteractionCallbackResponse(
            data=deferred,
            parent=interaction,
            state=scene.state,
            type=discord.InteractionResponseType.deferred_message_update,
        ).resource
        is None
    )


async def test_members_chunk_parses(scene: Scene) -> None:
    chunk = payloads.members_chunk(scene.guild, "nonce", list(scene.guild.members.values()))
    scene.state.parse_guild_members_chunk(copy.deepcopy(chunk))
    for data in chunk["members"]:
        discord.Member(data=copy.deepcopy(data), guild=scene.dguild, state=scene.state)
