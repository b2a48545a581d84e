"""Samples transcribed from the vendor documentation (seed 004) for parser and framing tests."""

from __future__ import annotations

import json

# The assistant turn sent back in the seed request: a finished generation, verbatim.
SEED_HISTORY_ASSISTANT = (
    "```json\n"
    "{\n"
    "  \"prompt\": \"Generate a high-definition video of cattle and horses dancing\",\n"
    "  \"orientation\": \"portrait\"\n"
    "}\n"
    "```\n"
    "\n"
    "> ID: `task_01k7dzptgwf2z87wj2c3t36qk0`\n"
    ">[Data Preview](https://asyncdata.net/web/task_01k7dzptgwf2z87wj2c3t36qk0) | [Raw Data](https://asyncdata.net/source/task_01k7dzptgwf2z87wj2c3t36qk0)\n"
    "> Queuing......\n"
    "> Generating.\n"
    "\n"
    ">🏃 Progress 76..\n"
    "\n"
    "> Generation Complete ✅\n"
    "> sid: s_68ec8accd80c8191ae1fc957af78caaa\n"
    "\n"
    "![https://filesystem.site/cdn/20251013/929d094fcd1844c3ee38be9476fd03.webp](https://filesystem.site/cdn/20251013/929d094fcd1844c3ee38be9476fd03.webp)\n"
    "[Play Online▶️](https://filesystem.site/cdn/20251013/5781a601c5ce5e216e914fef119c99.mp4)"
)

# `delta.content` of each streamed chunk in the seed response (None: the chunk had an empty delta).
SEED_DELTAS: list[str | None] = [
    "",
    "```",
    "json",
    "\n",
    "{\n",
    " ",
    " \"prompt\"",
    ":",
    " \"Make the cattle have a halo on its head and the horse stepping on auspicious clouds\"",
    ",\n",
    " \"orientation\"",
    ":",
    " \"portrait\"",
    ",\n",
    " \"sid\"",
    ":",
    " \"s_68ec8accd80c8191ae1fc957af78caaa\"",
    "\n",
    "}\n",
    "```",
    None,
    (
        "\n"
        "\n"
        "> ID: `task_01k7e5w9z5f2d91pekrqy59rwc`\n"
        ">[Data Preview](https://asyncdata.net/web/task_01k7e5w9z5f2d91pekrqy59rwc) | [Raw Data](https://asyncdata.net/source/task_01k7e5w9z5f2d91pekrqy59rwc)\n"
        "> Queuing."
    ),
    ".",
    ".",
    ".",
    ".",
    ".",
    "\n> Generating",
    ".",
    (
        "\n"
        "\n"
        ">🏃 Progress 36..44..61..69..81..\n"
        "\n"
        "> Generation Complete ✅\n"
        "> sid: s_68eca3f141808191b1fd30fea1b731bd\n"
        "\n"
        "![https://filesystem.site/cdn/20251013/38e999994cfa666de5e677d2af347f.webp](https://filesystem.site/cdn/20251013/38e999994cfa666de5e677d2af347f.webp)\n"
        "[Play Online▶️](https://filesystem.site/cdn/20251013/a7a7930bd01f7f313bbb6ecb234075.mp4)"
    ),
    None,
]
SEED_TASK_ID = "task_01k7e5w9z5f2d91pekrqy59rwc"
SEED_VIDEO = "https://filesystem.site/cdn/20251013/a7a7930bd01f7f313bbb6ecb234075.mp4"
SEED_PREVIEW = "https://filesystem.site/cdn/20251013/38e999994cfa666de5e677d2af347f.webp"
SEED_SID = "s_68eca3f141808191b1fd30fea1b731bd"


def seed_content() -> str:
    """The assistant text the seed stream carries, exactly."""
    return "".join(d for d in SEED_DELTAS if d is not None)


def seed_sse(eol: str = "\n", *, done: bool = True, finish: bool = True, compact: bool = False) -> bytes:
    """The seed response as raw SSE bytes, one JSON event per chunk of the documentation.

    `compact` keeps only `choices` in each event (same deltas, a third of the bytes).
    """
    events = []
    for i, content in enumerate(SEED_DELTAS):
        delta: dict = {} if content is None else {"content": content}
        if i == 0:
            delta["role"] = "assistant"
        chunk = {
            "id": "chatcmpl-89C77NMqv7oh6ajWBZful0xBNsJN1",
            "object": "chat.completion.chunk",
            "created": 1760338775,
            "model": "sora-2",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        if compact:
            chunk = {"choices": chunk["choices"]}
        events.append("data: " + json.dumps(chunk, ensure_ascii=False))
    if finish:
        events.append('data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}')
    if done:
        events.append("data: [DONE]")
    return "".join(e + eol + eol for e in events).encode()
