"""Which messages in a bot thread remix, which get the intent explanation, which are left alone."""

from __future__ import annotations

import pytest

from bot.generation.replies import Reaction, ThreadMessage, instruction_of, react_to

BOT = 42


def msg(content: str = "", *, reply: bool = False, to_bot: bool = False, mention: bool = False,
        files: bool = False) -> ThreadMessage:
    return ThreadMessage(content=content, has_attachments=files, is_reply=reply or to_bot, replies_to_bot=to_bot,
                         mentions_bot=mention)


@pytest.mark.parametrize(
    ("message", "plain", "can_read", "expected"),
    [
        (msg("now at night", to_bot=True), False, True, Reaction.REMIX),
        (msg(f"<@{BOT}> now at night", mention=True), False, True, Reaction.REMIX),
        (msg("nice video!"), False, True, Reaction.IGNORE),  # chatter does not spend quota
        (msg("nice video!"), True, True, Reaction.REMIX),  # unless the server wants plain messages to remix
        (msg("lol same", reply=True), True, True, Reaction.IGNORE),  # members replying to each other
        (msg("", to_bot=True), False, False, Reaction.EXPLAIN_INTENT),  # reply without ping, blanked: explain
        (msg(""), False, False, Reaction.EXPLAIN_INTENT),
        (msg("", reply=True), False, False, Reaction.IGNORE),  # blank, but a reply to another member
        (msg("", files=True), False, False, Reaction.IGNORE),  # an image post is not unreadable text
        (msg(f"<@{BOT}>", mention=True), False, False, Reaction.ASK_FOR_TEXT),
        (msg("", to_bot=True), False, True, Reaction.ASK_FOR_TEXT),
        (msg("", reply=True), False, True, Reaction.IGNORE),  # with the intent, empty really is empty
    ],
)
def test_reaction(message: ThreadMessage, plain: bool, can_read: bool, expected: Reaction) -> None:
    assert react_to(message, bot_user_id=BOT, plain_messages_remix=plain, can_read_content=can_read) is expected


def test_instruction_drops_the_mention_only() -> None:
    assert instruction_of(f"<@{BOT}> make it <@123> rain", BOT) == "make it <@123> rain"
    assert instruction_of(f"<@!{BOT}>   ", BOT) == ""
