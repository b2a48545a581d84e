"""Pure: the requests a member's ask becomes, the way a provider profile says its service reads them.

On the chat route an option travels as words in the newest user message (kkiai's family reads "横屏
16:9" from the prompt; the length is the model's), as part of the model ID (sora2api's
"sora2-landscape-15s") or as a body field (only where a service is known to read one). A picture becomes
an OpenAI vision part of that message, so the conversation, its task and its `sid` stay one thread that
can be remixed. On the task route the options fill the model's documented `/v1/video/create` fields.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.catalog import ModelSpec, Phrases

__all__ = ["Ask", "ChatRequest", "chat_request", "task_body", "task_prompt"]


@dataclass(frozen=True, slots=True)
class Ask:
    """What a member asked for, in the plain values requests are made of."""

    prompt: str
    orientation: str = "portrait"
    duration: int | None = None
    size: str | None = None
    image: str | None = None  # a picture to start from: its URL, or a data: URL, as the profile sends them


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A chat-completion request: the model ID, the messages and any extra body fields."""

    model: str
    messages: list[dict[str, Any]]
    extra: dict[str, Any]
    conveyed: frozenset[str] = frozenset()  # the options this request tells the service (by any carrier)


def chat_request(
    spec: ModelSpec, phrases: Phrases, history: Sequence[Mapping[str, Any]], ask: Ask
) -> ChatRequest:
    """The chat request for `ask`, continuing `history` (whose last message is the member's newest turn).

    Earlier turns go back exactly as stored: the service expects its own answers verbatim. A continuation
    (the history holds an answer) sends the member's words alone, as the vendor's own example does (seed
    004): the video being remixed already has its orientation and length.
    """
    values = _values(spec, ask)
    messages = [dict(m) for m in history]
    if not messages or messages[-1].get("role") != "user":
        messages.append({"role": "user", "content": ask.prompt})
    newest = messages[-1]
    text = str(newest.get("content", ""))
    continuing = any(m.get("role") == "assistant" for m in messages)
    if not continuing:
        text = _phrased(spec, phrases, text, ask)
    if ask.image and spec.image == "vision":
        newest["content"] = [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": ask.image}},
        ]
    else:
        newest["content"] = text
    model = spec.request_model.format(**values) if _fields_of(spec.request_model) else spec.request_model
    extra = {option: values[option] for option in ("orientation", "duration", "size")
             if spec.carrier(option) == "body" and values.get(option) is not None}
    if "duration" in extra:
        extra["duration"] = ask.duration
    conveyed = frozenset(
        option for option in ("orientation", "duration", "size")
        if (carrier := spec.carrier(option)) in ("model", "body") or (carrier == "prompt" and not continuing)
        # A model of one length asks for that length by being chosen: its echo can be compared with it.
        or (option == "duration" and carrier is None and len(spec.durations) == 1 and not continuing)
    )
    return ChatRequest(model, messages, extra, conveyed)


def task_prompt(history: Sequence[Mapping[str, Any]]) -> str:
    """The prompt of a task-route job: the thread's requests in order, since a task has no conversation.

    A remix of a task-made video is described whole ("a cow flying" + "now at night"), not as a change.
    """
    asks = [str(m.get("content", "")).strip() for m in history if m.get("role") == "user"]
    return "\n".join(a for a in asks if a)


def task_body(spec: ModelSpec, ask: Ask, prompt: str) -> dict[str, Any]:
    """The `/v1/video/create` body: model, prompt, images, and the model's fields filled from `ask`."""
    values = _values(spec, ask)
    body: dict[str, Any] = {"model": spec.request_model, "prompt": prompt, "images": [ask.image] if ask.image else []}
    for key, value in spec.task_fields.items():
        if not isinstance(value, str):
            body[key] = value
            continue
        wanted = _fields_of(value)
        if any(values.get(name) is None for name in wanted):
            continue  # e.g. a duration the member could not choose: the service decides
        if value == "{duration}":
            body[key] = ask.duration  # the documented type is an integer
        else:
            body[key] = value.format(**values)
    return body


def _values(spec: ModelSpec, ask: Ask) -> dict[str, Any]:
    size = ask.size or spec.default_size
    return {
        "orientation": ask.orientation,
        "aspect_ratio": spec.aspect_ratios.get(ask.orientation),
        "duration": None if ask.duration is None else str(ask.duration),
        "size": size,
    }


def _phrased(spec: ModelSpec, phrases: Phrases, text: str, ask: Ask) -> str:
    """`text` with the words for the options this model reads from the prompt."""
    words = []
    if spec.carrier("orientation") == "prompt" and ask.orientation in phrases.orientation:
        words.append(phrases.orientation[ask.orientation])
    if spec.carrier("duration") == "prompt" and ask.duration is not None:
        words.append(phrases.duration.format(duration=ask.duration))
    size = ask.size or spec.default_size
    if spec.carrier("size") == "prompt" and phrases.size.get(size):
        words.append(phrases.size[size])
    if not words:
        return text
    return phrases.template.format(prompt=text, options=phrases.joiner.join(words))


def _fields_of(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
