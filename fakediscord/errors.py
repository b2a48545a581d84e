"""Discord's error bodies, the fake's violation records and the exceptions test code sees."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

# JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json).
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_USER = 10013
UNKNOWN_INTERACTION = 10062
UNKNOWN_APPLICATION_COMMAND = 10063
REQUEST_TOO_LARGE = 40005
INTERACTION_ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
EMPTY_MESSAGE = 50006
INVALID_WEBHOOK_TOKEN = 50027
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
THREAD_ARCHIVED = 50083
THREAD_ALREADY_CREATED = 160004
UNAUTHORIZED = 0

# Codes that are not Discord's: the fake records them for rules Discord enforces without an HTTP error.
EMBEDS_DROPPED = "embeds_dropped"
NOT_ACKNOWLEDGED = "interaction_not_acknowledged"


class DiscordHTTPError(Exception):
    """Raised inside a REST handler to answer with Discord's error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord would send."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One entry of a 50035 Invalid Form Body error, at a path such as ("embeds", 0, "title")."""

    path: tuple[str | int, ...]
    code: str
    message: str


def form_error(problems: Sequence[FieldError]) -> DiscordHTTPError:
    """Build Discord's nested ``errors`` object for 50035 from a list of field problems."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return DiscordHTTPError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)


def not_found(code: int, what: str) -> DiscordHTTPError:
    """A 404 such as Unknown Message."""
    return DiscordHTTPError(404, code, f"Unknown {what}")


def missing_permissions() -> DiscordHTTPError:
    """403 Missing Permissions (50013)."""
    return DiscordHTTPError(403, MISSING_PERMISSIONS, "Missing Permissions")


def missing_access() -> DiscordHTTPError:
    """403 Missing Access (50001): the bot cannot see the channel."""
    return DiscordHTTPError(403, MISSING_ACCESS, "Missing Access")


@dataclasses.dataclass(frozen=True)
class Violation:
    """A request Discord would refuse (or silently alter); recorded so the test fails unless it expected it."""

    code: int | str
    status: int
    message: str
    method: str
    route: str
    at: dt.datetime
    detail: Any = None

    def __str__(self) -> str:
        extra = f" {self.detail}" if self.detail else ""
        return f"{self.method} {self.route} -> {self.status} {self.code} {self.message}{extra}"


@dataclasses.dataclass
class ViolationExpectation:
    """Handle returned by ``FakeDiscord.expect_violation``: the matching violations land in ``hits``."""

    code: int | str
    hits: list[Violation] = dataclasses.field(default_factory=list)


class FakeDiscordError(Exception):
    """Base class for errors the fake raises into test code."""


class ActionRefused(FakeDiscordError):
    """A test user's action that the Discord client would not let a person take (hidden command, bad option…)."""


class WaitTimeout(FakeDiscordError, AssertionError):
    """A waiting helper's deadline passed before its condition held."""


class UnknownObject(FakeDiscordError):
    """A test helper was given something the fake does not know."""
