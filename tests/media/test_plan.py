"""The encode plan: bitrates from the duration and the limit, resolution lowered only when it must be."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from bot.media.plan import GOOD_BPP, MAX_BPP, EncodePlan, MediaInfo, Unfittable, fit_plan, scaled, squeeze_after

MIB = 1024 * 1024
LIMIT = 10 * MIB


def info(seconds: float, width: int = 1920, height: int = 1080, fps: float = 30.0, audio: bool = True) -> MediaInfo:
    return MediaInfo(duration=seconds, width=width, height=height, fps=fps, has_audio=audio, size=40 * MIB)


def planned(video: MediaInfo, limit: int = LIMIT, **kwargs: float) -> EncodePlan:
    plan = fit_plan(video, limit, **kwargs)
    assert isinstance(plan, EncodePlan), plan
    return plan


def test_a_ten_second_1080p_video_keeps_its_resolution() -> None:
    plan = planned(info(10))
    assert (plan.width, plan.height) == (1920, 1080)
    assert plan.audio_bitrate == 128_000
    assert plan.video_bitrate > 5_000_000  # most of the 10 MB goes to the picture


def test_a_longer_video_drops_to_720p_rather_than_look_blocky() -> None:
    plan = planned(info(20))
    assert (plan.width, plan.height) == (1280, 720)
    assert plan.video_bitrate / (1280 * 720 * 30) >= GOOD_BPP


@pytest.mark.parametrize("seconds", [4, 8, 10, 15, 20, 25, 40, 60])
@pytest.mark.parametrize("limit", [8 * MIB, 10 * MIB, 25 * MIB, 50 * MIB])
def test_every_plan_lands_below_the_limit_with_room_to_spare(seconds: float, limit: int) -> None:
    plan = fit_plan(info(seconds), limit)
    if isinstance(plan, EncodePlan):
        assert plan.expected_bytes(seconds) <= limit * 0.93


def test_the_bitrate_follows_the_duration() -> None:
    short, long = planned(info(8, 1280, 720)), planned(info(16, 1280, 720))
    assert short.video_bitrate >= long.video_bitrate
    assert long.video_bitrate * 16 <= LIMIT * 8


def test_no_more_bits_than_the_picture_can_use() -> None:
    plan = planned(info(4, 640, 360, 24), limit=50 * MIB)
    assert plan.video_bitrate == int(MAX_BPP * 640 * 360 * 24)
    assert (plan.width, plan.height) == (640, 360)


@pytest.mark.parametrize(
    ("width", "height"), [(1920, 1080), (1080, 1920), (1280, 720), (720, 1280), (1080, 1080), (1792, 1024)]
)
def test_the_aspect_ratio_and_orientation_are_kept_in_even_sizes(width: int, height: int) -> None:
    plan = planned(info(25, width, height))
    assert plan.width % 2 == 0 and plan.height % 2 == 0
    assert (plan.width >= plan.height) == (width >= height)
    assert plan.width / plan.height == pytest.approx(width / height, rel=0.01)
    assert plan.width <= width and plan.height <= height


def test_the_resolution_is_never_raised() -> None:
    plan = planned(info(5, 480, 270))
    assert (plan.width, plan.height) == (480, 270)


def test_a_silent_video_spends_nothing_on_sound() -> None:
    with_sound, silent = planned(info(20)), planned(info(20, audio=False))
    assert silent.audio_bitrate == 0
    assert silent.video_bitrate > with_sound.video_bitrate


def test_a_tight_budget_gets_leaner_sound() -> None:
    assert planned(info(60, 640, 360), limit=5 * MIB).audio_bitrate < 128_000


def test_a_long_video_under_a_small_limit_is_unfittable() -> None:
    assert isinstance(fit_plan(info(600), LIMIT), Unfittable)
    assert isinstance(fit_plan(info(60, 160, 90, 24), 200 * 1024), Unfittable)


def test_a_video_without_a_known_duration_is_unfittable() -> None:
    assert isinstance(fit_plan(info(0), LIMIT), Unfittable)


def test_lowest_rung_when_no_rung_looks_good_but_one_is_acceptable() -> None:
    plan = planned(info(120, 1920, 1080), limit=10 * MIB)
    assert min(plan.width, plan.height) == 360


def test_a_second_attempt_after_an_overshoot_aims_lower() -> None:
    first = planned(info(20, 1280, 720))
    squeeze = squeeze_after(produced=int(LIMIT * 1.04), limit=LIMIT, squeeze=1.0)
    second = planned(info(20, 1280, 720), squeeze=squeeze)
    assert squeeze < 1
    assert second.video_bitrate < first.video_bitrate * 0.95


@pytest.mark.parametrize(
    ("w", "h", "side", "expected"),
    [(1920, 1080, 720, (1280, 720)), (1080, 1920, 720, (720, 1280)), (1792, 1024, 720, (1260, 720)),
     (853, 480, 360, (640, 360))],
)
def test_scaled_sizes(w: int, h: int, side: int, expected: tuple[int, int]) -> None:
    assert scaled(w, h, side) == expected


def test_a_two_hour_video_with_sound_over_the_limit_is_unfittable_not_a_crash() -> None:
    # The case: the budget is less than nothing once the index of two hours is counted.
    assert isinstance(fit_plan(info(7200, 320, 180, 24), LIMIT), Unfittable)


def test_a_source_above_1080_lines_is_encoded_at_1080_at_most() -> None:
    plan = planned(info(4, 3840, 2160), limit=500 * MIB)
    assert (plan.width, plan.height) == (1920, 1080)


_ABSURD_SECONDS = (0.0, -1.0, 1e-300, 0.04, 1.0, 7200.0, 1e9, 1e308, math.inf, -math.inf, math.nan)
_ABSURD_SIDES = (0, -5, 1, 2, 3, 64, 1080, 12000, 2**31, 10**15)
_ABSURD_FPS = (0.0, -1.0, math.nan, math.inf, 0.001, 24.0, 1e9)
_ABSURD_LIMITS = (-1, 0, 1, 1000, LIMIT, 500 * MIB, 10**18)
_ABSURD_SQUEEZES = (1.0, 0.0, -1.0, math.nan, math.inf, 1e-9)


def _checked(video: MediaInfo, limit: int, squeeze: float) -> None:
    plan = fit_plan(video, limit, squeeze=squeeze)  # must not raise, whatever the file says
    if isinstance(plan, EncodePlan):
        assert plan.width >= 2 and plan.height >= 2 and min(plan.width, plan.height) <= 1080, (video, limit, plan)
        assert plan.video_bitrate > 0 and plan.audio_bitrate >= 0
        assert plan.expected_bytes(video.duration) <= limit, (video, limit, plan)
    else:
        assert isinstance(plan, Unfittable) and plan.reason


def test_the_planner_answers_every_absurd_combination_without_raising() -> None:
    for seconds, width, height, fps, audio, limit in itertools.product(
        _ABSURD_SECONDS, _ABSURD_SIDES, _ABSURD_SIDES, _ABSURD_FPS, (True, False), _ABSURD_LIMITS
    ):
        _checked(MediaInfo(seconds, width, height, fps, audio, 40 * MIB), limit, 1.0)


def test_the_planner_answers_random_inputs_without_raising() -> None:
    rng = random.Random(20)
    for _ in range(20_000):
        video = MediaInfo(
            rng.choice((rng.uniform(-10, 10**6), rng.choice(_ABSURD_SECONDS))),
            rng.choice((rng.randint(-10, 20_000), rng.choice(_ABSURD_SIDES))),
            rng.choice((rng.randint(-10, 20_000), rng.choice(_ABSURD_SIDES))),
            rng.choice((rng.uniform(-1, 500), rng.choice(_ABSURD_FPS))),
            rng.random() < 0.5,
            rng.randint(0, 10**10),
        )
        _checked(video, rng.choice((rng.randint(-10, 10**10), rng.choice(_ABSURD_LIMITS))),
                 rng.choice((rng.uniform(-1, 2), rng.choice(_ABSURD_SQUEEZES))))
