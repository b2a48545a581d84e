"""What a person does in Discord: slash commands, button clicks, modal submits, messages and replies."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import payloads
from .errors import ActionRefused, DiscordHTTPError, FakeDiscordError, UnknownObject
from .interactions import APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL, MODAL_SUBMIT, InteractionRecord
from .models import AppCommand, Channel, Member, Role, StoredMessage, Upload, User
from .permissions import (
    ADMINISTRATOR,
    ATTACH_FILES,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    USE_APPLICATION_COMMANDS,
    VIEW_CHANNEL,
    has_all,
    missing,
)
from .readers import MessageView, iter_components

if TYPE_CHECKING:
    from .server import FakeDiscord

SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
MAX_SAFE_INTEGER = 2**53
MessageRef = MessageView | StoredMessage | int


class Actors:
    """Builds user-side payloads from the fake's state and delivers them over the gateway."""

    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._world = fake.world

    # ---- helpers -------------------------------------------------------------------------------------------
    def _member(self, user: User, channel: Channel) -> Member:
        member = self._world.member(channel.guild_id, user.id)
        if member is None:
            raise ActionRefused(f"{user.username} is not a member of the guild of #{channel.name}")
        return member

    def _stored(self, message: MessageRef) -> StoredMessage:
        message_id = message if isinstance(message, int) else message.id
        stored = self._world.messages.get(message_id)
        if stored is None:
            raise UnknownObject(f"unknown message {message_id}")
        return stored

    def _can_see(self, user: User, message: StoredMessage) -> None:
        if message.deleted:
            raise ActionRefused(f"message {message.id} was deleted")
        if message.ephemeral_user_id not in (None, user.id):
            raise ActionRefused(f"message {message.id} is ephemeral for someone else")
        channel = self._world.channels[message.channel_id]
        if not self._world.permissions_in(channel, user.id) & VIEW_CHANNEL:
            raise ActionRefused(f"{user.username} cannot see #{channel.name}")

    def _start(
        self,
        type_: int,
        member: Member,
        channel: Channel,
        data: dict[str, Any],
        source: StoredMessage | None = None,
    ) -> InteractionRecord:
        if not self._fake.gateway.serves(channel.guild_id):
            raise FakeDiscordError(
                "no gateway session of the bot serves this guild's shard; nothing would receive the interaction"
            )
        interaction_id = self._world.ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload = payloads.interaction(
            self._world,
            interaction_id=interaction_id,
            token=token,
            type_=type_,
            invoker=member,
            in_channel=channel,
            data=data,
            source_message=source,
        )
        record = InteractionRecord(
            self._fake,
            interaction_id=interaction_id,
            token=token,
            type_=type_,
            member=member,
            channel=channel,
            payload=payload,
            source_message_id=None if source is None else source.id,
        )
        self._fake.register_interaction(record)
        self._fake.dispatch("INTERACTION_CREATE", payload)
        return record

    # ---- slash commands ------------------------------------------------------------------------------------
    async def slash(self, user: User, channel: Channel, command: str, options: Mapping[str, Any]) -> InteractionRecord:
        """Invoke ``/command`` (``"quota set"`` for subcommands); refuses what the Discord client would not send."""
        member, channel, data = self.build_slash(user, channel, command, options)
        record = self._start(APPLICATION_COMMAND, member, channel, data)
        await asyncio.sleep(0)
        return record

    def build_slash(
        self, user: User, channel: Channel, command: str, options: Mapping[str, Any]
    ) -> tuple[Member, Channel, dict[str, Any]]:
        """The ``data`` of a slash-command interaction, checked as the Discord client would."""
        channel = self._world.resolve_channel(channel)
        member = self._member(user, channel)
        guild = self._world.guild_of(channel)
        parts = command.strip().lstrip("/").split()
        synced = self._world.find_command(parts[0], guild.id)
        if synced is None:
            raise ActionRefused(f"/{parts[0]} is not synced for {guild.name} (nor globally)")
        refusal = self.command_refusal(member, channel, synced)
        if refusal is not None:
            raise ActionRefused(refusal)
        schema: list[dict[str, Any]] = synced.data.get("options") or []
        chain: list[dict[str, Any]] = []
        for part in parts[1:]:
            sub = next((o for o in schema if o["name"] == part and o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP)), None)
            if sub is None:
                raise ActionRefused(f"/{command}: no subcommand {part!r}")
            chain.append(sub)
            schema = sub.get("options") or []
        if any(o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in schema):
            raise ActionRefused(f"/{command} needs a subcommand")
        resolved: dict[str, dict[str, Any]] = {}
        values = self._command_options(
            schema, dict(options), channel=channel, user=user, resolved=resolved, command=command
        )
        for sub in reversed(chain):
            values = [{"name": sub["name"], "type": sub["type"], "options": values}]
        data: dict[str, Any] = {"id": str(synced.id), "name": synced.name, "type": 1, "options": values}
        if synced.guild_id is not None:
            data["guild_id"] = str(synced.guild_id)
        if resolved:
            data["resolved"] = resolved
        return member, channel, data

    def command_refusal(self, member: Member, channel: Channel, synced: AppCommand) -> str | None:
        """Why the Discord client would not offer this command to this member here (None: it would)."""
        user = member.user
        perms = self._world.permissions_in(channel, user.id)
        if not has_all(perms, VIEW_CHANNEL | USE_APPLICATION_COMMANDS):
            return f"{user.username} cannot use application commands in #{channel.name}"
        contexts = synced.data.get("contexts")
        if contexts is not None and 0 not in contexts:
            return f"/{synced.name} is not available in guilds"
        required = synced.data.get("default_member_permissions")
        granted = self._world.command_overrides.get((channel.guild_id, synced.name), set())
        overridden = user.id in granted or any(r in granted for r in member.role_ids)
        if required is not None and not overridden:
            needed = int(required) or ADMINISTRATOR  # "0" hides the command from everyone but administrators.
            if not has_all(perms, needed):
                return (
                    f"/{synced.name} is hidden from {user.username}: needs {missing(perms, needed)} "
                    "(default_member_permissions)"
                )
        return None

    def _command_options(
        self,
        schema: list[dict[str, Any]],
        given: dict[str, Any],
        *,
        channel: Channel,
        user: User,
        resolved: dict[str, dict[str, Any]],
        command: str,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for option in schema:
            name = option["name"]
            key = name if name in given else name.replace("-", "_")
            if key not in given or given[key] is None:
                given.pop(key, None)
                if option.get("required"):
                    raise ActionRefused(f"/{command}: option {name!r} is required")
                continue
            value = self._option_value(
                option, given.pop(key), channel=channel, user=user, resolved=resolved, command=command
            )
            out.append({"name": name, "type": option["type"], "value": value})
        if given:
            raise ActionRefused(f"/{command} has no options {sorted(given)}; it has {[o['name'] for o in schema]}")
        return out

    def _option_value(
        self,
        option: dict[str, Any],
        value: Any,
        *,
        channel: Channel,
        user: User,
        resolved: dict[str, dict[str, Any]],
        command: str,
    ) -> Any:
        kind, name = option["type"], option["name"]
        where = f"/{command} {name}"
        if kind == STRING:
            if not isinstance(value, str):
                raise ActionRefused(f"{where}: expected text, got {value!r}")
            low, high = option.get("min_length", 0), option.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise ActionRefused(f"{where}: length {len(value)} outside {low}..{high}")
        elif kind in (INTEGER, NUMBER):
            numeric = (int,) if kind == INTEGER else (int, float)
            if isinstance(value, bool) or not isinstance(value, numeric):
                raise ActionRefused(
                    f"{where}: expected {'an integer' if kind == INTEGER else 'a number'}, got {value!r}"
                )
            low, high = option.get("min_value", -MAX_SAFE_INTEGER), option.get("max_value", MAX_SAFE_INTEGER)
            if not low <= value <= high:
                raise ActionRefused(f"{where}: {value} outside {low}..{high}")
        elif kind == BOOLEAN:
            if not isinstance(value, bool):
                raise ActionRefused(f"{where}: expected True/False, got {value!r}")
        elif kind in (USER, MENTIONABLE) and isinstance(value, User | Member):
            target = value.user if isinstance(value, Member) else value
            resolved.setdefault("users", {})[str(target.id)] = payloads.user(target)
            target_member = self._world.member(channel.guild_id, target.id)
            if target_member is not None:
                member_data = payloads.member(
                    target_member, with_user=False, permissions=self._world.permissions_in(channel, target.id)
                )
                resolved.setdefault("members", {})[str(target.id)] = member_data
            return str(target.id)
        elif kind in (ROLE, MENTIONABLE) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
            return str(value.id)
        elif kind == CHANNEL and isinstance(value, Channel):
            allowed = option.get("channel_types")
            if allowed and value.type not in allowed:
                raise ActionRefused(f"{where}: channel type {value.type} not in {allowed}")
            perms = self._world.permissions_in(value, user.id)
            resolved.setdefault("channels", {})[str(value.id)] = payloads.resolved_channel(value, perms)
            return str(value.id)
        elif kind == ATTACHMENT and isinstance(value, Upload):
            limit = self._world.guild_of(channel).filesize_limit
            if len(value.data) > limit:
                raise ActionRefused(f"{where}: {len(value.data)} bytes is over the upload limit ({limit})")
            stored = self._world.store_upload(value, channel.id, ephemeral=True)
            resolved.setdefault("attachments", {})[str(stored.id)] = payloads.attachment(self._world, stored)
            return str(stored.id)
        else:
            raise ActionRefused(f"{where}: option type {kind} cannot take {value!r}")
        choices = option.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ActionRefused(f"{where}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
        return value

    # ---- components and modals -----------------------------------------------------------------------------
    async def click(self, user: User, message: MessageRef, custom_id: str) -> InteractionRecord:
        """Press a button (by custom_id or label)."""
        return await self._component(user, *self.build_click(user, message, custom_id))

    def build_click(self, user: User, message: MessageRef, custom_id: str) -> tuple[StoredMessage, dict[str, Any]]:
        """The message and ``data`` of a button press, checked as the Discord client would."""
        stored = self._stored(message)
        self._can_see(user, stored)
        button = next(
            (
                c
                for c in iter_components(stored.components)
                if c.get("type") == 2 and custom_id in (c.get("custom_id"), c.get("label"))
            ),
            None,
        )
        if button is None:
            raise ActionRefused(f"message {stored.id} has no button {custom_id!r}")
        if button.get("disabled"):
            raise ActionRefused(f"button {custom_id!r} is disabled")
        if button.get("style") == 5 or button.get("custom_id") is None:
            raise ActionRefused(f"button {custom_id!r} is a link; it opens a URL and sends no interaction")
        data: dict[str, Any] = {"custom_id": button["custom_id"], "component_type": 2}
        if button.get("id") is not None:
            data["id"] = button["id"]
        return stored, data

    async def select(self, user: User, message: MessageRef, custom_id: str, values: Sequence[str]) -> InteractionRecord:
        """Choose values in a string select menu."""
        return await self._component(user, *self.build_select(user, message, custom_id, values))

    def build_select(
        self, user: User, message: MessageRef, custom_id: str, values: Sequence[str]
    ) -> tuple[StoredMessage, dict[str, Any]]:
        """The message and ``data`` of a select-menu choice."""
        stored = self._stored(message)
        self._can_see(user, stored)
        menu = next((c for c in iter_components(stored.components) if c.get("custom_id") == custom_id), None)
        if menu is None or menu.get("type") != 3:
            raise ActionRefused(f"message {stored.id} has no string select {custom_id!r}")
        allowed = [o["value"] for o in menu.get("options") or []]
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high or any(v not in allowed for v in values):
            raise ActionRefused(f"select {custom_id!r}: {list(values)} not {low}..{high} of {allowed}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        if menu.get("id") is not None:
            data["id"] = menu["id"]
        return stored, data

    async def _component(self, user: User, stored: StoredMessage, data: dict[str, Any]) -> InteractionRecord:
        channel = self._world.channels[stored.channel_id]
        member = self._member(user, channel)
        record = self._start(MESSAGE_COMPONENT, member, channel, data, source=stored)
        await asyncio.sleep(0)
        return record

    async def submit_modal(
        self, user: User, interaction: InteractionRecord, values: Mapping[str, str | Sequence[str]]
    ) -> InteractionRecord:
        """Fill in and submit the modal the bot opened in answer to ``interaction``."""
        data, source = self.build_modal_submit(user, interaction, values)
        record = self._start(MODAL_SUBMIT, interaction.member, interaction.channel, data, source=source)
        await asyncio.sleep(0)
        return record

    def build_modal_submit(
        self, user: User, interaction: InteractionRecord, values: Mapping[str, str | Sequence[str]]
    ) -> tuple[dict[str, Any], StoredMessage | None]:
        """The ``data`` (and source message) of a modal submission, checked as the Discord client would."""
        if interaction.response is None or interaction.response.type != MODAL or interaction.modal is None:
            raise ActionRefused(f"{interaction!r} was not answered with a modal")
        if user.id != interaction.user.id:
            raise ActionRefused("only the user the modal was shown to can submit it")
        modal = interaction.modal
        remaining = dict(values)
        components = [self._modal_component(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise ActionRefused(f"modal {modal.get('custom_id')!r} has no fields {sorted(remaining)}")
        source = None
        if interaction.source_message_id is not None:
            source = self._world.messages.get(interaction.source_message_id)
        data = {"custom_id": modal["custom_id"], "components": components}
        return data, source

    def _modal_component(self, component: dict[str, Any], remaining: dict[str, Any]) -> dict[str, Any]:
        kind = component.get("type")
        out: dict[str, Any] = {"type": kind}
        if component.get("id") is not None:
            out["id"] = component["id"]
        if kind == 1:
            out["components"] = [self._modal_input(c, remaining) for c in component.get("components") or []]
        elif kind == 18:
            out["component"] = self._modal_input(component["component"], remaining, label=component.get("label"))
        return out

    @staticmethod
    def _modal_input(component: dict[str, Any], remaining: dict[str, Any], label: str | None = None) -> dict[str, Any]:
        custom_id = component["custom_id"]
        name = label or component.get("label") or custom_id
        out: dict[str, Any] = {"type": component["type"], "custom_id": custom_id}
        if component.get("id") is not None:
            out["id"] = component["id"]
        if component["type"] == 4:
            value = remaining.pop(custom_id, component.get("value") or "")
            if not isinstance(value, str):
                raise ActionRefused(f"field {name!r} takes text, got {value!r}")
            required = component.get("required", True)
            low, high = component.get("min_length", 0), component.get("max_length", 4000)
            if required and not value:
                raise ActionRefused(f"field {name!r} is required")
            if value and not max(low, 1 if required else 0) <= len(value) <= high:
                raise ActionRefused(f"field {name!r}: length {len(value)} outside {low}..{high}")
            out["value"] = value
        else:
            chosen = remaining.pop(custom_id, [])
            out["values"] = [chosen] if isinstance(chosen, str) else list(chosen)
        return out

    # ---- messages ------------------------------------------------------------------------------------------
    async def say(
        self,
        user: User,
        channel: Channel,
        text: str,
        *,
        reply_to: MessageRef | None = None,
        mention_bot: bool = False,
        ping_on_reply: bool = True,
        attachments: Sequence[Upload] = (),
    ) -> MessageView:
        """Post a message as a user (MESSAGE_CREATE, content stripped for a bot without the intent)."""
        channel = self._world.resolve_channel(channel)
        self._member(user, channel)
        perms = self._world.permissions_in(channel, user.id)
        send = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
        if not has_all(perms, VIEW_CHANNEL | send):
            raise ActionRefused(f"{user.username} cannot send messages in #{channel.name}")
        if attachments and not perms & ATTACH_FILES:
            raise ActionRefused(f"{user.username} cannot attach files in #{channel.name}")
        target = None
        if reply_to is not None:
            target = self._stored(reply_to)
            self._can_see(user, target)
            if target.channel_id != channel.id or target.ephemeral:
                raise ActionRefused("a reply must target a visible message in the same channel")
            if not perms & READ_MESSAGE_HISTORY:
                raise ActionRefused(f"{user.username} cannot read history in #{channel.name}, so cannot reply")
        try:
            self._fake.messenger.reopen_for_send(channel, can_manage_threads=bool(perms & MANAGE_THREADS))
        except DiscordHTTPError as exc:
            raise ActionRefused(f"cannot post in #{channel.name}: {exc.message}") from exc
        limit = self._world.guild_of(channel).filesize_limit
        for upload in attachments:
            if len(upload.data) > limit:
                raise ActionRefused(f"{upload.filename} is over the upload limit ({limit} bytes)")
        stored = [self._world.store_upload(u, channel.id) for u in attachments]
        content = f"{self._world.bot_user.mention} {text}" if mention_bot else text
        allowed = None if ping_on_reply else {"parse": ["users", "roles", "everyone"], "replied_user": False}
        try:
            message = self._fake.messenger.create(
                channel,
                user,
                content=content,
                attachments=stored,
                reply_to=target,
                allowed_mentions=allowed,
                record_allowed_mentions=False,
            )
        except DiscordHTTPError as exc:
            raise ActionRefused(f"Discord would not post this: {exc.message}") from exc
        await asyncio.sleep(0)
        return self._fake.message(message.id)
