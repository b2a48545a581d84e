"""Media workers against crafted files: every limit holds (pixels, declarations, memory, CPU time), a worker
that hits one ends as a clear refusal, and the next request still gets a working worker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.media.limits import MediaLimits
from bot.media.plan import EncodePlan
from bot.media.processes import MediaProcesses, NotAVideo, TooDemanding
from bot.media.workspace import MediaWorkspace
from tests.media.hostile import Hostile, hostile
from tests.media.samples import MEDIUM, SMALL, Samples

__all__ = ["hostile"]

MIB = 1024 * 1024
INSPECTION_BUDGET = 150 * MIB  # a 1080p inspection peaks near 70 MB; the unguarded 12000² poster took 900 MB


async def test_a_12000_square_frame_behind_a_64x64_header_is_refused_cheaply(
    hostile: Hostile, processes: MediaProcesses, tmp_path: Path
) -> None:
    began = time.monotonic()
    with pytest.raises(TooDemanding, match="12000×12000"):
        await processes.inspect(hostile.huge_lying(), poster=tmp_path / "poster.jpg")
    assert time.monotonic() - began < 5  # it was 6-11 s of CPU
    assert 0 < processes.peak_rss < INSPECTION_BUDGET
    assert not (tmp_path / "poster.jpg").exists()


async def test_frames_that_grow_after_a_small_first_header_are_refused_as_they_are_decoded(
    hostile: Hostile, processes: MediaProcesses, tmp_path: Path
) -> None:
    with pytest.raises(TooDemanding, match="4000×4000 pixels is larger than 8,294,400 pixels, after a header"):
        await processes.inspect(hostile.switching(), poster=tmp_path / "poster.jpg")
    assert processes.peak_rss < INSPECTION_BUDGET


async def test_an_encode_checks_every_decoded_frame_too(
    hostile: Hostile, processes: MediaProcesses, workspace: MediaWorkspace
) -> None:
    with workspace.scratch("out.mp4") as target, pytest.raises(TooDemanding, match="4000×4000"):
        await processes.encode(hostile.switching(), target, EncodePlan(64, 64, 200_000, 0))


@pytest.mark.parametrize(("craft", "said"), [
    ("two_hours", "a declared duration of 7200 s"),
    ("many_streams", "41 streams"),
])
async def test_absurd_declarations_are_refused_before_any_frame_is_decoded(
    hostile: Hostile, processes: MediaProcesses, craft: str, said: str
) -> None:
    with pytest.raises(TooDemanding, match=said):
        await processes.inspect(getattr(hostile, craft)())


async def test_a_truncated_file_is_not_a_video(hostile: Hostile, processes: MediaProcesses) -> None:
    with pytest.raises(NotAVideo):
        await processes.inspect(hostile.truncated())


async def test_the_memory_limit_ends_a_worker_cleanly_and_the_next_one_works(
    hostile: Hostile, samples: Samples, tmp_path: Path
) -> None:
    # Pixel limits raised past the 12000² frame: only the worker's address space is left to stop it.
    lax = MediaLimits(max_pixels=200_000_000, max_side=16384, memory_bytes=400 * MIB)
    workers = MediaProcesses(limits=lax)
    try:
        with pytest.raises(TooDemanding, match="more memory than a media worker may use"):
            await workers.inspect(hostile.huge_lying(), poster=tmp_path / "poster.jpg")
        assert workers.peak_rss < 400 * MIB
        assert (await workers.inspect(samples(SMALL))).info.width == 320  # a fresh worker for the next file
    finally:
        await workers.close()


async def test_the_cpu_time_limit_kills_a_worker_and_says_so(samples: Samples, workspace: MediaWorkspace) -> None:
    workers = MediaProcesses(limits=MediaLimits(encode_cpu_seconds=1))
    try:
        with workspace.scratch("out.mp4") as target, pytest.raises(TooDemanding, match="SIGXCPU"):
            await workers.encode(samples(MEDIUM), target, EncodePlan(640, 360, 4_000_000, 128_000))
        assert workers.running == 0
    finally:
        await workers.close()
