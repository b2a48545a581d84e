"""REST routes for interaction callbacks and the interaction webhook (@original, followups)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from . import errors, payloads
from .channel_routes import CHANNEL_MESSAGE_FLAGS
from .errors import DiscordHTTPError, FieldError, form_error
from .interactions import (
    APPLICATION_COMMAND,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    UPDATE_MESSAGE,
    InteractionRecord,
    InteractionResponse,
)
from .models import FLAG_EPHEMERAL, FLAG_LOADING, MESSAGE_CHAT_INPUT_COMMAND, StoredMessage
from .permissions import MANAGE_THREADS
from .rest_base import Body, Reply, RouteHelpers, read_body, snowflake
from .validation import validate_modal

INTERACTION_MESSAGE_FLAGS = CHANNEL_MESSAGE_FLAGS | FLAG_EPHEMERAL
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
}


class InteractionRoutes(RouteHelpers):
    """Handlers authenticated by an interaction token: the 3-second callback and the 15-minute webhook."""

    async def interaction_callback(self, request: web.Request, interaction_id: str, token: str) -> Reply:
        """POST /interactions/{id}/{token}/callback: the one initial response, within the deadline."""
        record = self._fake.interactions.get(token)
        if record is None or str(record.id) != interaction_id:
            raise errors.not_found(errors.UNKNOWN_INTERACTION, "interaction")
        if record.response is not None:
            raise DiscordHTTPError(
                400, errors.INTERACTION_ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        if record.age() > self._fake.interaction_response_deadline:
            raise errors.not_found(errors.UNKNOWN_INTERACTION, "interaction")
        body = await read_body(request)
        if not isinstance(body.json, dict):
            raise form_error([FieldError((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")])
        kind = int(body.json.get("type", 0))
        if kind not in ALLOWED_CALLBACKS.get(record.type, set()):
            raise form_error(
                [
                    FieldError(
                        ("type",),
                        "INTERACTION_RESPONSE_TYPE_INVALID",
                        "Interaction response type is invalid for this interaction",
                    )
                ]
            )
        data = body.json.get("data") or {}
        message: StoredMessage | None = None
        modal: dict[str, Any] | None = None
        flags = int(data.get("flags") or 0)
        ephemeral = bool(flags & FLAG_EPHEMERAL)
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE) and not ephemeral:
            self._reopen_for_answer(record)
        if kind == CHANNEL_MESSAGE:
            self._validated(Body(data, body.files))
            message = self._interaction_message(record, data, body, flags=flags)
            record.original_message_id = message.id
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            message = self._interaction_message(record, {}, Body({}, {}), flags=FLAG_LOADING | (flags & FLAG_EPHEMERAL))
            record.original_message_id = message.id
            record.loading = True
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            source = self._world.messages.get(record.source_message_id or 0)
            if source is None:
                raise form_error(
                    [
                        FieldError(
                            ("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "This interaction has no message to update"
                        )
                    ]
                )
            if kind == UPDATE_MESSAGE:
                self._validated(Body(data, body.files))
                self._check_thread_open(source)
                # The kept and new attachments are listed inside `data`, as in a message edit's own body.
                attachments = self._attachments(
                    Body(data, body.files), self._world.channels[source.channel_id], source.attachments
                )
                self._fake.messenger.edit(source, data, attachments=attachments)
            message = source
            ephemeral = source.ephemeral
            record.original_message_id = source.id
        else:
            problems = validate_modal(data)
            if problems:
                raise form_error(problems)
            modal = dict(data)
        record.response = InteractionResponse(
            type=kind,
            ephemeral=ephemeral,
            message_id=None if message is None else message.id,
            modal=modal,
            at=time.monotonic(),
            _fake=self._fake,
        )
        self._fake.interaction_answered(record)
        message_payload = None if message is None else self._message_payload(message)
        return Reply(
            200,
            payloads.callback_response(
                interaction_id=record.id,
                interaction_type=record.type,
                response_type=kind,
                message_payload=None if kind == DEFERRED_UPDATE_MESSAGE else message_payload,
                loading=kind == DEFERRED_CHANNEL_MESSAGE,
                ephemeral=ephemeral,
            ),
        )

    def _interaction_message(
        self, record: InteractionRecord, data: dict[str, Any], body: Body, *, flags: int, followup: bool = False
    ) -> StoredMessage:
        channel = record.channel
        ephemeral = bool(flags & FLAG_EPHEMERAL)
        attachments = self._attachments(body, channel, None, ephemeral=ephemeral) or []
        extra: dict[str, Any] = {}
        if record.type == APPLICATION_COMMAND:
            extra["name"] = record.payload["data"]["name"]
            extra["command_type"] = 1
        if record.type == MESSAGE_COMPONENT and record.source_message_id is not None:
            extra["interacted_message_id"] = record.source_message_id
        if followup and record.original_message_id is not None:
            extra["original_response_message_id"] = record.original_message_id
        metadata = payloads.interaction_metadata(record.id, record.type, record.user, **extra)
        metadata["authorizing_integration_owners"] = {"0": str(channel.guild_id)}
        return self._fake.messenger.create(
            channel,
            self._world.bot_user,
            content=data.get("content") or "",
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            attachments=attachments,
            flags=flags & (INTERACTION_MESSAGE_FLAGS | FLAG_LOADING),
            allowed_mentions=data.get("allowed_mentions"),
            default_parse=("users",),
            tts=bool(data.get("tts")),
            webhook_id=self._world.application_id,
            interaction_metadata=metadata,
            ephemeral_user_id=record.user.id if ephemeral else None,
            interaction_token=record.token,
            message_type=MESSAGE_CHAT_INPUT_COMMAND if record.type == APPLICATION_COMMAND and not followup else None,
            check_empty=not flags & FLAG_LOADING,
        )

    def _reopen_for_answer(self, record: InteractionRecord) -> None:
        """A public answer is a message sent in the channel: like any send, it unarchives an archived thread,
        unless the thread is locked and the app lacks Manage Threads; then Discord refuses the answer itself
        with 50083 (discord-api-docs #5517). Ephemeral answers are not posted in the thread and pass."""
        channel = record.channel
        can_manage = bool(self._world.bot_permissions_in(channel) & MANAGE_THREADS)
        self._fake.messenger.reopen_for_send(channel, can_manage_threads=can_manage)

    def _check_thread_open(self, message: StoredMessage) -> None:
        channel = self._world.channels[message.channel_id]
        if channel.is_thread and channel.archived:
            raise DiscordHTTPError(400, errors.THREAD_ARCHIVED, "Thread is archived")

    def _webhook_record(self, application_id: str, token: str) -> InteractionRecord:
        if not application_id.isdigit() or int(application_id) != self._world.application_id:
            raise errors.not_found(errors.UNKNOWN_WEBHOOK, "Webhook")
        record = self._fake.interactions.get(token)
        if record is None or record.age() > self._fake.interaction_token_lifetime:
            raise DiscordHTTPError(401, errors.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if record.response is None:
            # The interaction webhook does not exist until the interaction has been acknowledged.
            raise errors.not_found(errors.UNKNOWN_WEBHOOK, "Webhook")
        return record

    def _webhook_message(self, record: InteractionRecord, message_id: str) -> StoredMessage:
        if message_id == "@original":
            if record.original_message_id is None:
                raise errors.not_found(errors.UNKNOWN_MESSAGE, "Message")
            target = record.original_message_id
        else:
            target = snowflake(message_id, "message_id")
            if target not in record.followup_ids and target != record.original_message_id:
                raise errors.not_found(errors.UNKNOWN_MESSAGE, "Message")
        message = self._world.messages.get(target)
        if message is None or message.deleted:
            raise errors.not_found(errors.UNKNOWN_MESSAGE, "Message")
        return message

    async def create_followup(self, request: web.Request, application_id: str, token: str) -> Reply:
        """POST /webhooks/{app}/{token}: a followup; the first one after a "thinking" defer fills the placeholder."""
        record = self._webhook_record(application_id, token)
        body = await read_body(request)
        data = self._validated(body)
        flags = int(data.get("flags") or 0)
        original = None if record.original_message_id is None else self._world.messages.get(record.original_message_id)
        if record.loading and original is not None and not original.deleted and original.flags & FLAG_LOADING:
            self._check_thread_open(original)
            attachments = self._attachments(body, record.channel, original.attachments, ephemeral=original.ephemeral)
            message = self._fake.messenger.edit(original, data, attachments=attachments, clear_loading=True)
            record.loading = False
        else:
            if not flags & FLAG_EPHEMERAL:
                self._reopen_for_answer(record)
            message = self._interaction_message(record, data, body, flags=flags, followup=True)
        record.followup_ids.append(message.id)
        self._fake.notify_change()
        if request.query.get("wait") in ("0", "false", None):
            return Reply(204)
        return Reply(200, self._message_payload(message))

    async def get_webhook_message(
        self, request: web.Request, application_id: str, token: str, message_id: str
    ) -> Reply:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        record = self._webhook_record(application_id, token)
        return Reply(200, self._message_payload(self._webhook_message(record, message_id)))

    async def edit_webhook_message(
        self, request: web.Request, application_id: str, token: str, message_id: str
    ) -> Reply:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original} (expired tokens get 401 50027)."""
        record = self._webhook_record(application_id, token)
        message = self._webhook_message(record, message_id)
        body = await read_body(request)
        data = self._validated(body)
        self._check_thread_open(message)
        channel = self._world.channels[message.channel_id]
        attachments = self._attachments(body, channel, message.attachments, ephemeral=message.ephemeral)
        is_original = message.id == record.original_message_id
        self._fake.messenger.edit(message, data, attachments=attachments, clear_loading=is_original)
        if is_original:
            record.loading = False
        return Reply(200, self._message_payload(message))

    async def delete_webhook_message(
        self, request: web.Request, application_id: str, token: str, message_id: str
    ) -> Reply:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        record = self._webhook_record(application_id, token)
        self._fake.messenger.delete(self._webhook_message(record, message_id))
        return Reply(204)
