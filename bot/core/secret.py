"""Secret: a setting's value that never shows itself (tokens, keys, a database URL with its password)."""

from __future__ import annotations

from bot.core import scrub


class Secret:
    """A string that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        # Every configured secret is scrubbed from whatever the bot shows, stores or logs (bot.core.scrub).
        scrub.remember(value, *scrub.url_passwords(value))

    def reveal(self) -> str:
        """The real value, for the one place that must send it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__
