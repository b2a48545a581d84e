"""What a file may declare before a worker decodes any of it, and how large a frame may be."""

from __future__ import annotations

import math

import pytest

from bot.media.limits import Declared, MediaLimits, refusal

LIMITS = MediaLimits()
CLIP = Declared(streams=2, width=1920, height=1080, duration=10.0, fps=30.0, frames=300)


def test_a_real_clip_is_decoded() -> None:
    assert refusal(CLIP, LIMITS) is None
    assert refusal(Declared(2, 3840, 2160, 25.0, 60.0, 1500), LIMITS) is None  # 4K is still a video
    assert refusal(Declared(1, 0, 0, None, None, None), LIMITS) is None  # says nothing: decoding will tell


@pytest.mark.parametrize(("declared", "said"), [
    (Declared(2, 12000, 12000, 10.0, 30.0, 300), "12000×12000 pixels is wider than 8192"),
    (Declared(2, 4000, 4000, 10.0, 30.0, 300), "4000×4000 pixels is larger than 8,294,400 pixels"),
    (Declared(2, 1, 9000, 10.0, 30.0, 300), "1×9000 pixels is wider than 8192"),
    (Declared(2, 1920, 1080, 7200.0, 30.0, 300), "a declared duration of 7200 s"),
    (Declared(2, 1920, 1080, math.nan, 30.0, 300), "a declared duration of nan s"),
    (Declared(2, 1920, 1080, -5.0, 30.0, 300), "a declared duration of -5 s"),
    (Declared(2, 1920, 1080, 10.0, 90000.0, 300), "90000 frames a second"),
    (Declared(2, 1920, 1080, 10.0, 30.0, 10**9), "1000000000 declared frames"),
    (Declared(41, 64, 64, 1.0, 24.0, 24), "41 streams (at most 8)"),
])
def test_an_absurd_declaration_is_refused_before_decoding(declared: Declared, said: str) -> None:
    reason = refusal(declared, LIMITS)
    assert reason is not None and said in reason


def test_every_decoded_frame_is_measured_against_the_pixel_limit() -> None:
    small = MediaLimits(max_pixels=640 * 360)
    assert small.frame_too_large(640, 360) is None
    assert small.frame_too_large(1280, 720) == "a frame of 1280×720 pixels is larger than 230,400 pixels"
    assert small.frame_too_large(0, 720) is not None
