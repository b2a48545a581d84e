"""Which upload limit a video is fitted to, and where a refused upload steps down to."""

from __future__ import annotations

import pytest

from bot.discord_ui.upload_limits import DEFAULT_UPLOAD_LIMIT, STEP_DOWN, best_known_limit, limit_for_tier, plausible
from bot.media.plan import EncodePlan, MediaInfo, fit_plan, next_rung

MiB = 1024 * 1024


def test_the_default_is_twenty_mib_since_september_2026_and_boosts_raise_it() -> None:
    assert 20 * MiB == DEFAULT_UPLOAD_LIMIT
    assert [limit_for_tier(tier) for tier in (None, 0, 1, 2, 3)] == [20 * MiB, 20 * MiB, 20 * MiB, 50 * MiB, 100 * MiB]


def test_the_latest_number_seen_in_the_server_wins_over_its_tier() -> None:
    assert best_known_limit(30 * MiB, 0) == 30 * MiB  # a server's own number, as an interaction reported it
    assert best_known_limit(20 * MiB, 3) == 20 * MiB  # boosts lapsed since GUILD_CREATE: the live number wins
    assert best_known_limit(None, 2) == 50 * MiB  # nothing seen since this process started
    assert best_known_limit(None, None) == 20 * MiB  # a server this process does not even know


@pytest.mark.parametrize("value", [0, -1, 1024, True, "20971520", None, 2 * 1024 * MiB])
def test_an_implausible_number_in_an_interaction_is_not_believed(value: object) -> None:
    assert plausible(value) is None


def test_a_plausible_number_is_kept() -> None:
    assert plausible(20 * MiB) == 20 * MiB and plausible(500 * MiB) == 500 * MiB


@pytest.mark.parametrize(
    ("refused", "next_limit"),
    [
        (30 * MiB, 20 * MiB),  # a 50 MiB server lost its boosts
        (20 * MiB, 10 * MiB),  # exactly the default refused: the API still said 10 MiB for a while
        (60 * MiB, 50 * MiB),
        (101 * MiB, 100 * MiB),
        (10 * MiB, None),  # nothing smaller is known: link it
        (4 * MiB, None),
    ],
)
def test_a_refused_upload_steps_down_to_the_largest_known_limit_below_it(refused: int, next_limit: int | None) -> None:
    assert next_rung(refused, STEP_DOWN) == next_limit


def test_a_15_s_1080p_video_fitted_to_the_live_20_mib_lands_just_under_it_with_twice_the_bits() -> None:
    # sora-2-pro's 15 s HD: at the old 10 MiB assumption it got half the picture it can have today.
    clip = MediaInfo(duration=15.0, width=1920, height=1080, fps=30.0, has_audio=True, size=30 * MiB)
    today, before = fit_plan(clip, DEFAULT_UPLOAD_LIMIT), fit_plan(clip, 10 * MiB)
    assert isinstance(today, EncodePlan) and isinstance(before, EncodePlan)
    assert (today.width, today.height) == (1920, 1080)
    assert 18 * MiB < today.expected_bytes(clip.duration) <= 20 * MiB
    assert today.video_bitrate > 2 * before.video_bitrate
