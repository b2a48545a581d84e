"""A server's own video API key: set and cleared by its moderators, sealed with SERVER_KEY_SECRET, never shown
again (the last four characters at most), and handed to the vendor client only for that server's jobs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from bot.core.config import Secret
from bot.core.errors import BotError
from bot.core.logs import register_secret
from bot.core.secretbox import SecretBox, SecretBoxError
from bot.store import Store

log = logging.getLogger(__name__)

NO_SECRET: Final = (
    "This bot can't keep a server's own API key: its operator has not set SERVER_KEY_SECRET. Nothing was stored."
)
NOT_A_KEY: Final = "That doesn't look like an API key (8 to 512 characters, no spaces). Nothing was stored."
NO_KEY: Final = "This server has no API key of its own to clear; its videos use the bot's."
KEY_MIN, KEY_MAX = 8, 512

# A server's ID → the key its jobs send the vendor (None: the bot's own): what the job runner and Refresh link use.
KeyLookup = Callable[[int], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What may be said about a server's own key: whether there is one, its last four characters, and whether
    this bot can still open it (a changed SERVER_KEY_SECRET cannot)."""

    own_key: bool
    last4: str | None = None
    readable: bool = True


def check_key(text: str) -> str:
    """The key as typed, trimmed; BotError when it cannot be one (spaces inside, too short or too long)."""
    key = text.strip()
    if not KEY_MIN <= len(key) <= KEY_MAX or not key.isascii() or not key.isprintable() or " " in key:
        raise BotError(NOT_A_KEY)
    return key


class ServerKeys:
    """Per-server API keys, sealed in the store."""

    def __init__(self, store: Store, secret: Secret) -> None:
        self._store = store
        self._box = SecretBox(secret.reveal()) if secret else None

    def check_can_keep(self) -> None:
        """BotError with a sentence unless SERVER_KEY_SECRET is set, so that a key can be stored at all."""
        if self._box is None:
            raise BotError(NO_SECRET)

    async def set(self, guild_id: int, actor_id: int, text: str) -> KeyStatus:
        """Seal and keep the server's key (replacing any), audited without the key; BotError with a sentence
        when the bot cannot keep keys or the text is not a key."""
        self.check_can_keep()
        assert self._box is not None
        key = check_key(text)
        register_secret(key)  # from now on no log line can carry it
        last4 = key[-4:]
        async with self._store.transaction():
            before = await self._store.server_keys.get(guild_id)
            await self._store.server_keys.put(guild_id, ciphertext=self._box.seal(key), last4=last4, set_by=actor_id)
            await self._store.audit.record(
                guild_id=guild_id, actor_id=actor_id, action="key.set",
                details={"target": "server key", "before": {"last4": before.last4} if before else None,
                         "after": {"last4": last4}},
            )
        return KeyStatus(True, last4)

    async def clear(self, guild_id: int, actor_id: int) -> KeyStatus:
        """Forget the server's key (its videos use the bot's again); BotError when it had none."""
        async with self._store.transaction():
            before = await self._store.server_keys.get(guild_id)
            if before is None:
                raise BotError(NO_KEY)
            await self._store.server_keys.clear(guild_id)
            await self._store.audit.record(
                guild_id=guild_id, actor_id=actor_id, action="key.clear",
                details={"target": "server key", "before": {"last4": before.last4}, "after": None},
            )
        return KeyStatus(False)

    async def status(self, guild_id: int) -> KeyStatus:
        """Whether the server has its own key, and its last four characters."""
        sealed = await self._store.server_keys.get(guild_id)
        if sealed is None:
            return KeyStatus(False)
        return KeyStatus(True, sealed.last4, readable=self._open(guild_id, sealed.ciphertext) is not None)

    async def key_for(self, guild_id: int) -> str | None:
        """The key a job of this server sends the vendor: its own, or None for the bot's."""
        sealed = await self._store.server_keys.get(guild_id)
        return None if sealed is None else self._open(guild_id, sealed.ciphertext)

    def _open(self, guild_id: int, ciphertext: str) -> str | None:
        if self._box is None:
            log.warning("server %s has its own API key, but SERVER_KEY_SECRET is not set: using the bot's", guild_id)
            return None
        try:
            key = self._box.open(ciphertext)
        except SecretBoxError:
            log.warning("server %s's own API key does not open with SERVER_KEY_SECRET (changed?): using the bot's; "
                        "its moderators can set the key again", guild_id)
            return None
        register_secret(key)
        return key
