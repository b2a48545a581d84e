"""Pure: how much a media worker may spend on one vendor file, and whether a file's declarations ask for more.

Vendor media is hostile by default. A few hundred kilobytes of H.264 can declare 12000×12000 frames (each
decoded frame then takes 216 MB), two hours of sound, or thousands of streams. Every worker is bounded three
ways: by these declarations checked before anything is decoded, by the size of every frame checked as the
decoder produces it (a header can lie, the decoded frame cannot), and by the operating system (address space
and CPU time, set in the worker itself), so that a file that gets past the first two still ends as a refusal
rather than as the machine's OOM killer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_MAX_PIXELS", "DEFAULT_WORKER_MEMORY_MB", "Declared", "MediaLimits", "refusal"]

# 4K UHD: four times the largest frames the video services make today (1080p, 1792×1024), so a real video
# never meets it, while a decoded frame stays under 13 MB (4:2:0).
DEFAULT_MAX_PIXELS: Final = 3840 * 2160
# Address space, not resident memory: Python with FFmpeg loaded reserves about 130 MB before it reads a byte,
# and x264's threads reserve stacks and malloc arenas they never touch. A 1080p encode peaks near 600 MB of
# address space for about 215 MB resident.
DEFAULT_WORKER_MEMORY_MB: Final = 1024
MAX_SIDE: Final = 8192  # H.264's own level tables stop near here; a 1×8,000,000 frame is no video either
MAX_DURATION: Final = 15 * 60.0  # seconds; generated clips last 4 to 25 s, a long upload a few minutes
MAX_FPS: Final = 240.0
MAX_STREAMS: Final = 8  # video, sound, and a few data or subtitle tracks; thousands are an attack on the demuxer
INSPECT_CPU_SECONDS: Final = 30
ENCODE_CPU_SECONDS: Final = 600  # x264's two threads for the encode timeout's 300 s of wall time


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What one worker may spend; sent with every request and enforced inside the worker."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    memory_bytes: int = DEFAULT_WORKER_MEMORY_MB * 1024 * 1024
    max_side: int = MAX_SIDE
    max_duration: float = MAX_DURATION
    max_fps: float = MAX_FPS
    max_streams: int = MAX_STREAMS
    inspect_cpu_seconds: int = INSPECT_CPU_SECONDS
    encode_cpu_seconds: int = ENCODE_CPU_SECONDS

    @property
    def max_frames(self) -> int:
        """Frames a file may declare: the longest duration at the highest frame rate."""
        return int(self.max_duration * self.max_fps)

    def frame_too_large(self, width: int, height: int) -> str | None:
        """Why a frame of this size may not be decoded or converted, or None when it may."""
        if width <= 0 or height <= 0:
            return f"a frame of {width}×{height} pixels"
        if max(width, height) > self.max_side:
            return f"a frame of {width}×{height} pixels is wider than {self.max_side}"
        if width * height > self.max_pixels:
            return f"a frame of {width}×{height} pixels is larger than {self.max_pixels:,} pixels"
        return None


@dataclass(frozen=True, slots=True)
class Declared:
    """What a file's headers say about it, before any frame is decoded (each may be a lie, or absent)."""

    streams: int
    width: int
    height: int
    duration: float | None  # seconds
    fps: float | None
    frames: int | None  # the video stream's frame count, when the container states one


def refusal(declared: Declared, limits: MediaLimits) -> str | None:
    """Why a file with these declarations is not decoded at all, or None when it may be tried.

    Anything absurd is refused: a worker's memory and time are bounded anyway, but a refusal here costs
    nothing, says why, and leaves the worker's limits for the lies that only decoding reveals.
    """
    if declared.streams > limits.max_streams:
        return f"{declared.streams} streams (at most {limits.max_streams})"
    if declared.width or declared.height:
        too_large = limits.frame_too_large(declared.width, declared.height)
        if too_large is not None:
            return too_large
    duration = declared.duration
    if duration is not None and not 0 <= duration <= limits.max_duration:
        return f"a declared duration of {duration:.0f} s (at most {limits.max_duration:.0f} s)"
    if declared.fps is not None and not 0 <= declared.fps <= limits.max_fps:
        return f"a declared {declared.fps:.0f} frames a second (at most {limits.max_fps:.0f})"
    if declared.frames is not None and not 0 <= declared.frames <= limits.max_frames:
        return f"{declared.frames} declared frames (at most {limits.max_frames})"
    return None
