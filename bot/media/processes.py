"""Runs media work in worker processes, off the event loop, a bounded number at a time.

Each request gets its own `python -m bot.media.worker` process (see worker.py), bounded by `MediaLimits`
(pixels, address space, CPU time) that the worker sets on itself before it reads the file; a worker that
dies (out of memory, out of CPU time, killed by a signal) takes only its own request with it, and the next
request gets a fresh process. Encodes and inspections (probe and poster) have separate bounds, so a short
inspection never waits behind a long encode, and the memory of all workers together is bounded: measured
peaks are about 215 MB for an encode to 1080p (x264's lookahead and reference frames) and 70 MB for an
inspection of a 1080p file, and no worker can pass its address-space limit. Encodes share a few slots
fairly between servers (FairSlots: one at a time per server, servers served in turn), so one server's slow
or crafted video never makes another server's videos wait behind it.

A cancelled caller kills its worker before the cancellation goes on, so no process outlives the job that
asked for it, and no file is written after the caller cleaned up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Final

from bot.media.fairness import FairSlots
from bot.media.limits import MediaLimits
from bot.media.plan import EncodePlan, MediaInfo

__all__ = ["EncodeFailed", "Inspection", "MediaProcesses", "NotAVideo", "TooDemanding"]

log = logging.getLogger(__name__)

ENCODE_TIMEOUT: Final = 300.0  # a generated clip is at most half a minute; this is a hung encoder
INSPECT_TIMEOUT: Final = 60.0
ENCODES_AT_ONCE: Final = 2  # two servers' videos side by side; a third server's waits for the first to end
# Encoder threads allocate from per-thread malloc arenas that are never given back; two are plenty.
_WORKER_ENV: Final = {"MALLOC_ARENA_MAX": "2"}


class EncodeFailed(Exception):
    """A worker crashed, timed out or answered nonsense."""


class NotAVideo(Exception):
    """The file is not a video PyAV can decode."""


class TooDemanding(EncodeFailed):
    """The file asks for more than a worker may spend: refused by its limits, or the worker died of one."""


@dataclasses.dataclass(frozen=True, slots=True)
class Inspection:
    """What an inspection found: the file's properties, and the poster's size if one was written."""

    info: MediaInfo
    poster: tuple[int, int] | None


class MediaProcesses:
    """The bounded set of worker processes; `close` kills any still running."""

    def __init__(
        self, *, encodes_at_once: int = ENCODES_AT_ONCE, inspections_at_once: int = 1,
        limits: MediaLimits | None = None,
    ) -> None:
        self.limits = limits or MediaLimits()
        self._encodes = FairSlots(encodes_at_once, per_owner=1)
        self._inspections = asyncio.Semaphore(inspections_at_once)
        self._running: set[asyncio.subprocess.Process] = set()
        self._closed = False
        self.peak_rss = 0  # bytes: the most any worker that answered held resident, since this object was made

    @property
    def running(self) -> int:
        """Worker processes alive right now."""
        return len(self._running)

    @property
    def inspector_busy(self) -> bool:
        """Whether an inspection would have to wait for another to end."""
        return self._inspections.locked()

    async def inspect(self, source: Path, *, poster: Path | None = None) -> Inspection:
        """Probe `source` and, if `poster` is given, write a JPEG frame of it there."""
        request = {"op": "inspect", "source": str(source), "poster": str(poster) if poster else None,
                   "cpu_seconds": self.limits.inspect_cpu_seconds}
        async with self._inspections:
            answer = await self._run(request, INSPECT_TIMEOUT)
        size = answer.get("poster")
        return Inspection(MediaInfo(**answer["info"]), (int(size[0]), int(size[1])) if size else None)

    @property
    def encoding(self) -> int:
        """Encodes running right now."""
        return self._encodes.busy

    async def encode(self, source: Path, target: Path, plan: EncodePlan, *, owner: Hashable = None) -> int:
        """Re-encode `source` into `target` following `plan`; return the size written. `owner` (the server) takes
        its turn with the others for an encoder: one at a time per owner, owners in turn."""
        request = {"op": "encode", "source": str(source), "target": str(target), "plan": dataclasses.asdict(plan),
                   "cpu_seconds": self.limits.encode_cpu_seconds}
        async with self._encodes.hold(owner):
            answer = await self._run(request, ENCODE_TIMEOUT)
        return int(answer["size"])

    async def _run(self, request: dict[str, Any], seconds: float) -> dict[str, Any]:
        if self._closed:
            raise EncodeFailed("media workers are shut down")
        request = {**request, "limits": dataclasses.asdict(self.limits)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.media.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **_WORKER_ENV},
        )
        self._running.add(process)
        try:
            async with asyncio.timeout(seconds):
                out, err = await process.communicate(json.dumps(request).encode())
        except TimeoutError as error:
            raise EncodeFailed(f"{request['op']} took longer than {seconds:g} s") from error
        finally:
            # Also on cancellation: the worker must be gone before the caller removes its files.
            await _stop(process)
            self._running.discard(process)
        if process.returncode is not None and process.returncode < 0:
            # Out of CPU time (SIGXCPU, then SIGKILL), the kernel's OOM killer, or a decoder that crashed on the
            # file: either way, this file is not worth another worker.
            raise TooDemanding(f"{request['op']} worker was killed by {_signal_name(-process.returncode)}")
        if process.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-3:]
            raise EncodeFailed(f"{request['op']} worker exited with {process.returncode}: {' | '.join(tail)}")
        try:
            answer: dict[str, Any] = json.loads(out)
        except ValueError as error:
            raise EncodeFailed(f"{request['op']} worker answered {out[:200]!r}") from error
        self.peak_rss = max(self.peak_rss, int(answer.get("peak_rss", 0)))
        if answer.get("error") == "not_a_video":
            raise NotAVideo(answer.get("detail", ""))
        if answer.get("error") == "refused":
            raise TooDemanding(f"{request['op']} refused: {answer.get('detail', '')}")
        return answer

    async def close(self) -> None:
        """Kill every worker still running; later requests fail at once."""
        self._closed = True
        await asyncio.gather(*(_stop(p) for p in list(self._running)), return_exceptions=True)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
