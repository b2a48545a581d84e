"""The entry point of a media worker process: `python -m bot.media.worker`, one request per process.

The request is one JSON object on stdin, the answer one JSON object on stdout:

    {"op": "inspect", "source": PATH, "poster": PATH | null}
        -> {"info": {duration, width, height, fps, has_audio, size}, "poster": [width, height] | null}
    {"op": "encode", "source": PATH, "target": PATH, "plan": {width, height, video_bitrate, audio_bitrate}}
        -> {"size": BYTES}

    A file that is not a decodable video answers {"error": "not_a_video", "detail": TEXT}.

A fresh process per request: whatever an encode allocated goes back to the system when it exits, and the
bot can stop one at once by killing it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot.media.encoder import Undecodable, encode, poster, probe
from bot.media.plan import EncodePlan

# Encodes yield the CPU to the bot itself, so a busy encoder never delays a Discord heartbeat or an edit.
NICENESS = 10


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Carry out one request (see the module docstring)."""
    op = request["op"]
    source = Path(request["source"])
    try:
        if op == "inspect":
            info = probe(source)
            size = None
            if request.get("poster"):
                try:
                    size = list(poster(source, Path(request["poster"])))
                except Undecodable:
                    size = None  # a video whose frames won't decode still gets linked; it just has no poster
            return {"info": dataclasses.asdict(info), "poster": size}
        if op == "encode":
            target = Path(request["target"])
            encode(source, target, EncodePlan(**request["plan"]))
            return {"size": target.stat().st_size}
    except Undecodable as error:
        return {"error": "not_a_video", "detail": str(error)[:300]}
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    os.nice(NICENESS)
    request = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(handle(request)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
