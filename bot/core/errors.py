"""Errors a user can cause. Each carries one short sentence that is safe to show them."""

from __future__ import annotations


class BotError(Exception):
    """A refusal or failure the user should read; caught at the cog boundary and shown ephemerally."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message
