"""Throughput of the chat-stream pipeline (SSE bytes -> events -> transcript) and its growth with length.

Builds a stream shaped like the vendor's (seed 004: one `chat.completion.chunk` event per network chunk,
a JSON block, the ID line, queue dots, a single growing progress line, the result), times it, then times
a stream 10x longer. Linear cost means a ratio near 10x (goal: at most 11x). Prints figures; never asserts.

Run: .venv/bin/python bench/parse_stream.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from bot.videoapi import ChatStream, TranscriptParser

PROMPT = "Make the cattle have a halo on its head and the horse stepping on auspicious clouds"


def deltas(ticks: int) -> list[str]:
    """Assistant text pieces: `ticks` progress ticks and ticks/3 queue dots."""
    pieces = ["", "```", "json", "\n", "{\n", "  \"prompt\": ", json.dumps(PROMPT), ",\n",
              "  \"orientation\": ", "\"portrait\"", "\n}\n", "```"]
    pieces.append(
        "\n\n> ID: `task_01k7e5w9z5f2d91pekrqy59rwc`\n>[Data Preview](https://asyncdata.net/web/task_01k7e5w9z5f2d91"
        "pekrqy59rwc) | [Raw Data](https://asyncdata.net/source/task_01k7e5w9z5f2d91pekrqy59rwc)\n> Queuing."
    )
    pieces += ["."] * (ticks // 3)
    pieces += ["\n> Generating", ".", "\n\n>🏃 Progress "]
    pieces += [f"{i * 100 // ticks}.." for i in range(ticks)]  # one ever-growing line, as upstream sends it
    pieces.append(
        "\n\n> Generation Complete ✅\n> sid: s_68eca3f141808191b1fd30fea1b731bd\n\n"
        "![https://filesystem.site/cdn/20251013/38e999994cfa666de5e677d2af347f.webp]"
        "(https://filesystem.site/cdn/20251013/38e999994cfa666de5e677d2af347f.webp)\n"
        "[Play Online▶️](https://filesystem.site/cdn/20251013/a7a7930bd01f7f313bbb6ecb234075.mp4)"
    )
    return pieces


def sse_chunks(pieces: list[str]) -> list[bytes]:
    """One network chunk per event, with the seed's boilerplate fields."""
    out = []
    for piece in pieces:
        event = {
            "id": "chatcmpl-89C77NMqv7oh6ajWBZful0xBNsJN1",
            "object": "chat.completion.chunk",
            "created": 1760338775,
            "model": "sora-2",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        out.append(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
    out.append(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n')
    return out


def run_pipeline(chunks: list[bytes]) -> None:
    stream = ChatStream()
    for chunk in chunks:
        stream.feed(chunk)
    final = stream.finish()
    if final.state != "completed":
        raise SystemExit(f"bench stream did not complete: {final}")


def run_parser(pieces: list[str]) -> None:
    parser = TranscriptParser()
    for piece in pieces:
        parser.feed(piece)
    parser.finish()


def best_of(fn: Callable[[], None], repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    base_ticks = 300
    print(f"{'case':<34}{'chunks':>9}{'bytes':>11}{'seconds':>10}{'chunks/s':>12}")
    results: dict[str, list[tuple[float, int]]] = {}

    def report(name: str, label: str, count: int, size: int, seconds: float) -> None:
        results.setdefault(name, []).append((seconds, size))
        print(f"{name + ' ' + label:<34}{count:>9}{size:>11}{seconds:>10.4f}{count / seconds:>12,.0f}")

    for label, ticks in (("1x", base_ticks), ("10x", base_ticks * 10)):
        pieces = deltas(ticks)
        chunks = sse_chunks(pieces)
        text = "".join(pieces)
        report("SSE + JSON + transcript", label, len(chunks), sum(map(len, chunks)),
               best_of(lambda c=chunks: run_pipeline(c)))
        report("transcript parser only", label, len(pieces), len(text.encode()),
               best_of(lambda p=pieces: run_parser(p)))
        # The worst case for a parser that rescans lines: the same text one character per delta.
        report("parser, 1 char per delta", label, len(text), len(text.encode()),
               best_of(lambda t=text: run_parser(list(t)), repeats=3))
    print()
    for name, ((t1, s1), (t10, s10)) in results.items():
        print(f"{name:<26} time ratio 10x/1x {t10 / t1:6.2f}x for {s10 / s1:5.2f}x the input   (goal <= 11x)")


if __name__ == "__main__":
    main()
