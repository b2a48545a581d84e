"""Pure: how the simulated vendor reads a request, modelled on the public evidence, not on the bot.

The chat flow documents `model`, `messages` and `stream` only; any other body field is ignored. The
aspect ratio is read from the prompt text ("…,生成视频比例9:16", "横屏": DMXAPI's sora2-chat.md and
docs.rainboxs.com's Veo page) or from the model ID ("sora2-landscape-10s"). The length follows the model, never
a prompt word: the family's chat-format docs give sora-2 10 s and sora-2-pro 15 s, and lengths beyond those are
sold as model IDs ("sora-2-hd-15s-chat", "sora2-landscape-15s"); no public transcript shows "15秒" in a prompt
changing the length (issue 21). A user message may be a list of OpenAI content parts: text and image_url.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ChatRead", "CreateRead", "read_chat", "read_create"]

_LANDSCAPE = r"横屏|橫屏|16\s*[:：]\s*9|\blandscape\b|\bhorizontal\b"
_PORTRAIT = r"竖屏|豎屏|9\s*[:：]\s*16|\bportrait\b|\bvertical\b"
_ORIENTATION = re.compile(rf"(?P<landscape>{_LANDSCAPE})|(?P<portrait>{_PORTRAIT})", re.IGNORECASE)
_MODEL_SECONDS = re.compile(r"(?<![0-9])(?P<n>[0-9]{1,2})s(?![a-z])", re.IGNORECASE)
_PORTRAIT_RATIOS = frozenset({"9:16", "2:3", "3:4"})
_MODEL_LENGTHS = {"sora-2": 10, "sora-2-pro": 15}  # the chat-format docs' lengths of the plain model IDs


@dataclass(frozen=True, slots=True)
class ChatRead:
    """What the service understood from a chat request."""

    prompt: str  # the newest user message's text
    orientation: str | None  # None when neither the prompt nor the model ID named one
    duration: int | None  # None when neither the prompt nor the model ID named a length
    images: tuple[str, ...]
    history: tuple[str, ...]  # the earlier assistant answers, for finding a remixed task's sid


@dataclass(frozen=True, slots=True)
class CreateRead:
    """What the service understood from a /v1/video/create body."""

    prompt: str
    orientation: str
    duration: int | None
    images: tuple[str, ...]


def read_chat(model: str, messages: Any) -> ChatRead:
    """Read a chat request the way the vendor does; ValueError (its 400 message) when it is malformed."""
    if not isinstance(model, str) or not model or not isinstance(messages, list) or not messages:
        raise ValueError("model and messages with a user turn are required")
    users = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "user"]
    if not users:
        raise ValueError("model and messages with a user turn are required")
    text, images = _parts(users[-1].get("content"))
    answers = tuple(
        m["content"] for m in messages
        if isinstance(m, Mapping) and m.get("role") == "assistant" and isinstance(m.get("content"), str)
    )
    orientation = _last_orientation(text) or _last_orientation(model.replace("-", " "))
    duration = _last_seconds(_MODEL_SECONDS, model) or _MODEL_LENGTHS.get(model)
    return ChatRead(text, orientation, duration, images, answers)


def read_create(body: Mapping[str, Any]) -> CreateRead:
    """Read a /v1/video/create body: sora's `orientation`/`duration`, Veo's and Grok's `aspect_ratio`."""
    prompt = body.get("prompt")
    if not isinstance(body.get("model"), str) or not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("model and prompt are required")
    images = body.get("images", [])
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        raise ValueError("images must be a list of URLs")
    orientation = body.get("orientation")
    if orientation not in ("portrait", "landscape"):
        ratio = body.get("aspect_ratio")
        orientation = "portrait" if ratio in _PORTRAIT_RATIOS else "landscape" if ratio else "portrait"
    duration = body.get("duration")
    return CreateRead(prompt, str(orientation), duration if isinstance(duration, int) else None, tuple(images))


def _parts(content: Any) -> tuple[str, tuple[str, ...]]:
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list):
        raise ValueError("message content must be a string or a list of content parts")
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url" and isinstance(part.get("image_url"), Mapping) and isinstance(
            part["image_url"].get("url"), str
        ):
            images.append(part["image_url"]["url"])
        else:
            raise ValueError(f"unsupported content part: {kind!r}")
    if not texts:
        raise ValueError("a message with an image needs a text part too")
    return "\n".join(texts), tuple(images)


def _last_orientation(text: str) -> str | None:
    found = None
    for m in _ORIENTATION.finditer(text):
        found = "landscape" if m.group("landscape") else "portrait"
    return found


def _last_seconds(pattern: re.Pattern[str], text: str) -> int | None:
    matches: Sequence[re.Match[str]] = list(pattern.finditer(text))
    return int(matches[-1].group("n")) if matches else None
