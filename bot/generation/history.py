"""Pure: the conversation sent to the video API for a turn, trimmed to a budget of turns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store import Turn


@dataclass(frozen=True, slots=True)
class History:
    """The `messages` array for the chat API, and how many turns were kept if it was trimmed."""

    messages: list[dict[str, str]]
    trimmed_to: int | None


def build_history(path: Sequence[Turn], max_turns: int) -> History:
    """The path root → turn as chat messages; assistant content goes back exactly as it was streamed.

    Past `max_turns`, the oldest turns go, but the thread's first prompt always stays; the kept tail starts
    with an assistant turn so that roles keep alternating.
    """
    if len(path) <= max_turns:
        return History([_message(t) for t in path], None)
    tail = list(path[len(path) - (max_turns - 1):])
    if tail and tail[0].role == "user":
        tail = tail[1:]
    return History([_message(path[0]), *(_message(t) for t in tail)], len(tail))


def _message(turn: Turn) -> dict[str, str]:
    return {"role": turn.role, "content": turn.content}
