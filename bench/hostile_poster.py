"""The poster inspection of a crafted file, unguarded and sandboxed: peak memory and CPU time of the worker.

The file is the one issue 20 names: one 12000×12000 frame of flat colour (about 420 KB of H.264) whose MP4
header says 64×64. "Unguarded" runs today's worker with limits too wide to matter (what every worker did
before the sandbox: no pixel limit, no memory bound); "sandboxed" runs it with the default limits. Each is
one `python -m bot.media.worker` process, as in the bot; its peak resident memory is the worker's own
(VmHWM), its CPU time the kernel's count for that child.

Prints figures, asserts nothing.

    .venv/bin/python bench/hostile_poster.py [side]     (default 12000; 16000 is the issue's 1.6 GB case)
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.media.limits import MediaLimits
from bot.media.processes import EncodeFailed, MediaProcesses, NotAVideo

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]
UNGUARDED = MediaLimits(max_pixels=2**31 - 1, max_side=2**20, memory_bytes=2**40)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def inspect(path: Path, limits: MediaLimits, label: str) -> None:
    workers = MediaProcesses(limits=limits)
    cpu, began = _children_cpu(), time.monotonic()
    try:
        found = await workers.inspect(path, poster=path.with_name(f"poster-{label}.jpg"))
        outcome = f"poster {found.poster}"
    except (EncodeFailed, NotAVideo) as error:
        outcome = f"refused: {error}"
    finally:
        await workers.close()
    print(f"{label:>10}: peak {workers.peak_rss / MIB:7.1f} MiB, CPU {_children_cpu() - cpu:5.2f} s, "
          f"wall {time.monotonic() - began:5.2f} s; {outcome}")


def craft(directory: Path, side: int) -> Path:
    """The crafted file, made in a process of its own: x264 needs about 900 MB for this one frame."""
    crafted = directory / f"huge-{side}-says-64.mp4"
    subprocess.run([sys.executable, "-m", "tests.media.hostile", "huge", str(crafted), str(side)], check=True,
                   cwd=ROOT)
    print(f"{crafted.name}: {crafted.stat().st_size / 1024:.0f} KB on disk, "
          f"{side * side * 3 // 2 / MIB:.0f} MiB per decoded frame")
    return crafted


async def compare(crafted: Path) -> None:
    await inspect(crafted, UNGUARDED, "unguarded")
    await inspect(crafted, MediaLimits(), "sandboxed")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(compare(craft(Path(scratch), int(sys.argv[1]) if len(sys.argv) > 1 else 12000)))
