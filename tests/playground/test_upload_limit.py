"""The playground's server reports Discord's default upload limit, 20 MiB, unless it is run boosted."""

from __future__ import annotations

from fakediscord import FakeDiscord
from playground.launcher import parse_args
from playground.world import build_world

MiB = 1024 * 1024


def test_the_playground_server_allows_20_mib_unless_boosted() -> None:
    assert build_world(FakeDiscord()).guild.filesize_limit == 20 * MiB
    assert build_world(FakeDiscord(), boost_tier=2).guild.filesize_limit == 50 * MiB
    assert build_world(FakeDiscord(), boost_tier=3).guild.filesize_limit == 100 * MiB


def test_videobot_playground_takes_a_boost_tier() -> None:
    assert parse_args([]).boost_tier == 0
    assert parse_args(["--boost-tier", "2"]).boost_tier == 2
