"""The entry point of a media worker process: `python -m bot.media.worker`, one request per process.

The request is one JSON object on stdin, the answer one JSON object on stdout:

    {"op": "inspect", "source": PATH, "poster": PATH | null, "limits": {...}, "cpu_seconds": N}
        -> {"info": {duration, width, height, fps, has_audio, size}, "poster": [width, height] | null}
    {"op": "encode", "source": PATH, "target": PATH, "plan": {width, height, video_bitrate, audio_bitrate},
     "limits": {...}, "cpu_seconds": N}
        -> {"size": BYTES}

    A file that is not a decodable video answers {"error": "not_a_video", "detail": TEXT}; one that asks for
    more than `limits` allow (or ran the worker out of memory) {"error": "refused", "detail": TEXT}.
    Every answer also says the worker's peak resident memory: {"peak_rss": BYTES, ...}.

A fresh process per request: whatever an encode allocated goes back to the system when it exits, and the
bot can stop one at once by killing it. Before it reads the file, the worker bounds itself with the
operating system: its address space (RLIMIT_AS, so an allocation past it fails instead of waking the OOM
killer) and its CPU time (RLIMIT_CPU: SIGXCPU at the limit, SIGKILL a few seconds later).
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any, Final

from bot.media.encoder import Refused, Undecodable, encode, poster, probe
from bot.media.limits import MediaLimits
from bot.media.plan import EncodePlan

# Encodes yield the CPU to the bot itself, so a busy encoder never delays a Discord heartbeat or an edit.
NICENESS: Final = 10
CPU_GRACE: Final = 5  # seconds between SIGXCPU (which ends the worker) and the SIGKILL that cannot be caught
# A failed allocation leaves the peak this close to the limit: whatever asked for it did not fit in the rest.
OUT_OF_MEMORY_SHARE: Final = 0.75


def confine(limits: MediaLimits, cpu_seconds: int) -> None:
    """Bound this process's address space and CPU time; neither can be raised again once lowered."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + CPU_GRACE))


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Carry out one request (see the module docstring)."""
    op = request["op"]
    source = Path(request["source"])
    limits = MediaLimits(**request.get("limits", {}))
    try:
        if op == "inspect":
            info = probe(source, limits)
            size = None
            if request.get("poster"):
                try:
                    size = list(poster(source, Path(request["poster"]), limits))
                except Undecodable:
                    _unless_out_of_memory(limits)
                    size = None  # a video whose frames won't decode still gets linked; it just has no poster
            return {"info": dataclasses.asdict(info), "poster": size}
        if op == "encode":
            target = Path(request["target"])
            encode(source, target, EncodePlan(**request["plan"]), limits)
            return {"size": target.stat().st_size}
    except Undecodable as error:
        try:
            _unless_out_of_memory(limits)
        except Refused as refused:
            return {"error": "refused", "detail": str(refused)}
        return {"error": "not_a_video", "detail": str(error)[:300]}
    except Refused as error:
        return {"error": "refused", "detail": str(error)[:300]}
    except MemoryError:  # outside the decoder's reach: Python's own objects hit the address-space limit
        return {"error": "refused", "detail": "it needed more memory than a media worker may use"}
    raise ValueError(f"unknown op {op!r}")


def _unless_out_of_memory(limits: MediaLimits) -> None:
    """Raise Refused when this process's address space came near its limit: FFmpeg's decoders report a failed
    allocation as invalid data, so a "not a video" said at the limit was really "too large for a worker"."""
    if _status_bytes("VmPeak") >= limits.memory_bytes * OUT_OF_MEMORY_SHARE:
        raise Refused("it needed more memory than a media worker may use")


def _status_bytes(field: str) -> int:
    """A memory figure of this process, in bytes: VmPeak (address space), VmHWM (resident); Linux, else 0."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    os.nice(NICENESS)
    request = json.loads(sys.stdin.read())
    confine(MediaLimits(**request.get("limits", {})), int(request.get("cpu_seconds", 60)))
    answer = handle(request)
    answer["peak_rss"] = _status_bytes("VmHWM")  # not ru_maxrss: that keeps the forking parent's peak
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
