"""Pure decisions for fitting a video under an upload limit: which bitrates, and which resolution.

The budget is the limit spread over the duration, less a safety margin (x264's one-pass average bitrate
lands within a few per cent on clips this short, not exactly) and the MP4 index. The resolution stays the
source's unless that budget would leave too few bits per pixel to look good; then it steps down a ladder
of common heights, never below 360 lines. When even that would look bad, the video is not fittable and is
linked instead: a smeared video is worse than a link to a sharp one.

The inputs come from a vendor's file, so `fit_plan` answers for any of them, however absurd (a duration of
two hours or of NaN, a frame of a billion pixels, a limit of nothing): a plan, or Unfittable. It never raises.
Nothing is encoded above 1080 lines, whatever the source: the encoder's memory grows with the frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["EncodePlan", "MediaInfo", "Unfittable", "fit_plan", "next_rung", "scaled", "squeeze_after"]

SAFETY: Final = 0.92  # aim below the limit: one-pass ABR may overshoot a little; the result is measured
INDEX_BYTES_PER_SECOND: Final = 2_000  # the MP4 index (sample tables) grows with the frame and audio packets
HEADER_BYTES: Final = 32 * 1024
GOOD_BPP: Final = 0.08  # bits per pixel per frame at which x264 "veryfast" still looks clean on generated video
MIN_BPP: Final = 0.04  # below this even the lowest rung smears; link instead
MAX_BPP: Final = 0.20  # above this H.264 gains nothing visible; spending less uploads and loads faster
MIN_VIDEO_BITRATE: Final = 100_000
LADDER: Final = (1080, 720, 540, 480, 360)  # short sides tried in turn, never above the source's
MAX_SHORT_SIDE: Final = LADDER[0]  # a larger source is encoded at 1080 lines at most
DEFAULT_FPS: Final = 30.0  # when the file states no usable frame rate
AUDIO_RATES: Final = ((1_500_000, 128_000), (600_000, 96_000), (0, 64_000))  # (total budget from, audio rate)


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the planner needs to know about a video file."""

    duration: float  # seconds
    width: int  # as displayed: sample aspect ratio applied
    height: int
    fps: float
    has_audio: bool
    size: int  # bytes

    @property
    def aspect(self) -> float:
        return self.width / self.height


@dataclass(frozen=True, slots=True)
class EncodePlan:
    """How to re-encode: H.264 at `video_bitrate` in width x height, AAC at `audio_bitrate` (0: no sound)."""

    width: int
    height: int
    video_bitrate: int  # bits per second
    audio_bitrate: int

    def expected_bytes(self, duration: float) -> int:
        """What the encode should produce if the rate control hits its target."""
        return int((self.video_bitrate + self.audio_bitrate) * duration / 8) + _overhead(duration)


@dataclass(frozen=True, slots=True)
class Unfittable:
    """No encode would both fit and look acceptable; `reason` is for the logs."""

    reason: str


def fit_plan(info: MediaInfo, limit: int, *, squeeze: float = 1.0) -> EncodePlan | Unfittable:
    """The plan that fits `info` under `limit` bytes, or why none does.

    `squeeze` (< 1) shrinks the budget for a second attempt after an encode came out too large.
    """
    if not (_positive(info.duration) and _positive(info.width) and _positive(info.height)):
        return Unfittable("the video's duration or size is unknown")
    if not (_positive(limit) and _positive(squeeze)):
        return Unfittable(f"no room to fit it: a limit of {limit} bytes, squeezed by {squeeze}")
    payload = (limit * SAFETY - _overhead(info.duration)) * min(squeeze, 1.0)  # a squeeze never widens it
    total = payload * 8 / info.duration
    audio = _audio_rate(total) if info.has_audio else 0
    if not total - audio >= MIN_VIDEO_BITRATE:  # also when it is NaN
        return Unfittable(f"{total - audio:.0f} bit/s for the picture over {info.duration:.1f} s is too little")
    video = int(min(total - audio, 2.0**62))  # finite from here on
    fps = info.fps if _positive(info.fps) else DEFAULT_FPS
    rungs = _rungs(info)
    for width, height in rungs:
        if _bpp(video, width, height, fps) >= GOOD_BPP:
            # never above what the picture can use, nor below what x264 needs to run at all (video is above it)
            return EncodePlan(width, height, max(MIN_VIDEO_BITRATE, min(video, _rate_at(MAX_BPP, width, height, fps))),
                              audio)
    width, height = rungs[-1]
    if _bpp(video, width, height, fps) >= MIN_BPP:
        return EncodePlan(width, height, video, audio)
    return Unfittable(f"{video} bit/s is too little even at {width}x{height}")


def scaled(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Width and height with the shorter side at `short_side`, the aspect ratio kept, both even (4:2:0)."""
    if width >= height:
        return _even(short_side * width / height), _even(short_side)
    return _even(short_side), _even(short_side * height / width)


def _rungs(info: MediaInfo) -> list[tuple[int, int]]:
    """Candidate sizes, largest first: the source's own (up to 1080 lines), then each ladder step below it."""
    short = min(info.width, info.height)
    sizes = [scaled(info.width, info.height, short)] if short <= MAX_SHORT_SIDE else []
    sizes += [scaled(info.width, info.height, step) for step in LADDER if step < short]
    return sizes


def _audio_rate(total: float) -> int:
    """The sound's share of a total budget: the rate of the highest floor the budget reaches, else the lowest."""
    return next((rate for floor, rate in AUDIO_RATES if total >= floor), AUDIO_RATES[-1][1])


def _positive(value: float) -> bool:
    """A real, finite number above zero (a vendor's file can state NaN, infinity, or less than nothing)."""
    return math.isfinite(value) and value > 0


def _bpp(bitrate: float, width: int, height: int, fps: float) -> float:
    return bitrate / (width * height * fps)


def _rate_at(bpp: float, width: int, height: int, fps: float) -> int:
    return int(bpp * width * height * fps)


def _overhead(duration: float) -> int:
    return HEADER_BYTES + int(min(INDEX_BYTES_PER_SECOND * duration, 2.0**62))  # bounded: durations can be absurd


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def squeeze_after(produced: int, limit: int, squeeze: float) -> float:
    """The `squeeze` for a second attempt after an encode planned with `squeeze` came out at `produced` bytes.

    Scales the budget by how far the first attempt missed, with 5 % to spare: rate control misses again, but
    by less.
    """
    return squeeze * (limit / produced) * 0.95


def next_rung(refused: int, rungs: Iterable[int]) -> int | None:
    """The limit to fit a video to after an upload of `refused` bytes was refused as too large: the largest of
    `rungs` below it, or None when none is (then the video can only be linked)."""
    return max((rung for rung in rungs if rung < refused), default=None)
