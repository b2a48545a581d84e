"""Pure: what a message in a bot thread asks for — a remix, a hint, or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Reaction(Enum):
    """What the bot does about a message in one of its threads."""

    IGNORE = "ignore"  # chatter, or members replying to each other
    EXPLAIN_INTENT = "explain_intent"  # unreadable without the Message Content intent: say how to remix
    ASK_FOR_TEXT = "ask_for_text"  # pinged the bot but said nothing
    REMIX = "remix"


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """The facts about a message that decide the reaction."""

    content: str
    has_attachments: bool
    is_reply: bool
    replies_to_bot: bool
    mentions_bot: bool


def instruction_of(content: str, bot_user_id: int) -> str:
    """The message's text without the mention that summoned the bot."""
    return re.sub(rf"<@!?{bot_user_id}>", " ", content).strip()


def react_to(
    message: ThreadMessage, *, bot_user_id: int, plain_messages_remix: bool, can_read_content: bool
) -> Reaction:
    """Replies to the bot's videos and mentions remix; plain messages only if the server allows it.

    Without the Message Content intent Discord blanks messages that neither mention the bot nor reply to
    it with a ping; such an empty message gets an explanation instead of silence.
    """
    addressed = message.replies_to_bot or message.mentions_bot
    if message.is_reply and not addressed:  # members replying to each other
        return Reaction.IGNORE
    unreadable = not message.content and not message.has_attachments and not can_read_content
    if unreadable and not message.mentions_bot:  # a mention would have brought its text along
        return Reaction.EXPLAIN_INTENT
    if not addressed and not plain_messages_remix:
        return Reaction.IGNORE
    if instruction_of(message.content, bot_user_id):
        return Reaction.REMIX
    return Reaction.ASK_FOR_TEXT if addressed else Reaction.IGNORE
