"""Media workers: real PyAV work in separate processes, the bot's event loop free meanwhile, nothing left
running after a cancellation or a shutdown."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import av
import pytest

from bot.media.plan import EncodePlan
from bot.media.processes import EncodeFailed, MediaProcesses, NotAVideo
from bot.media.workspace import MediaWorkspace
from tests.media.conftest import until
from tests.media.playback import play, worker_pids
from tests.media.samples import MEDIUM, PORTRAIT, SILENT, SMALL, Samples


async def test_inspect_reads_the_videos_properties(samples: Samples, processes: MediaProcesses) -> None:
    small = await processes.inspect(samples(SMALL))
    assert (small.info.width, small.info.height, small.info.fps) == (320, 180, 24)
    assert small.info.duration == pytest.approx(2.0, abs=0.1)
    assert small.info.has_audio and small.info.size == samples(SMALL).stat().st_size
    assert small.poster is None
    assert not (await processes.inspect(samples(SILENT))).info.has_audio


async def test_a_poster_is_a_jpeg_frame_of_the_video(samples: Samples, processes: MediaProcesses,
                                                     workspace: MediaWorkspace) -> None:
    with workspace.scratch("poster.jpg") as poster:
        found = await processes.inspect(samples(PORTRAIT), poster=poster)
        assert found.poster == (180, 320)
        assert poster.read_bytes()[:2] == b"\xff\xd8"  # JPEG
        with av.open(str(poster)) as image:
            frame = next(image.decode(video=0))
            assert (frame.width, frame.height) == (180, 320)


async def test_a_file_that_is_not_a_video_is_named_as_such(tmp_path: Path, processes: MediaProcesses) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"SIMULATED VIDEO\n" * 1000)
    with pytest.raises(NotAVideo):
        await processes.inspect(fake, poster=tmp_path / "poster.jpg")


async def test_an_encode_follows_its_plan(samples: Samples, processes: MediaProcesses,
                                          workspace: MediaWorkspace) -> None:
    plan = EncodePlan(width=160, height=90, video_bitrate=200_000, audio_bitrate=64_000)
    with workspace.scratch("out.mp4") as target:
        size = await processes.encode(samples(SMALL), target, plan)
        assert size == target.stat().st_size
        seen = play(target)
    assert (seen.video_codec, seen.audio_codec, seen.width, seen.height) == ("h264", "aac", 160, 90)
    assert seen.frames == 48 and seen.duration == pytest.approx(2.0, abs=0.1)
    assert seen.faststart


async def test_the_event_loop_keeps_ticking_during_an_encode(samples: Samples, processes: MediaProcesses,
                                                             workspace: MediaWorkspace) -> None:
    loop = asyncio.get_running_loop()
    beats: list[float] = []

    async def heartbeat() -> None:
        while True:
            beats.append(loop.time())
            await asyncio.sleep(0.02)

    plan = EncodePlan(width=640, height=360, video_bitrate=1_500_000, audio_bitrate=128_000)
    ticker = asyncio.create_task(heartbeat())
    try:
        with workspace.scratch("out.mp4") as target:
            started = loop.time()
            await processes.encode(samples(MEDIUM), target, plan)
            took = loop.time() - started
    finally:
        ticker.cancel()
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    assert took > 0.3, "the encode was too short to say anything"
    assert max(gaps) < 0.25, f"the loop stalled for {max(gaps):.2f} s during a {took:.1f} s encode"
    assert len(beats) >= took / 0.02 * 0.5


async def _wait_for_worker(processes: MediaProcesses) -> None:
    await until(lambda: processes.running > 0, "a worker to start")
    await asyncio.sleep(0.3)  # well into the encode


async def test_a_cancelled_encode_stops_its_worker_and_writes_nothing_more(
    samples: Samples, processes: MediaProcesses, workspace: MediaWorkspace
) -> None:
    plan = EncodePlan(width=640, height=360, video_bitrate=1_500_000, audio_bitrate=128_000)
    with workspace.scratch("out.mp4") as target:
        task = asyncio.create_task(processes.encode(samples(MEDIUM), target, plan))
        await _wait_for_worker(processes)
        assert len(worker_pids()) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert worker_pids() == [] and processes.running == 0
    await asyncio.sleep(0.2)
    assert workspace.files() == []  # no worker came back to write after the cleanup


async def test_closing_kills_running_workers_and_refuses_new_work(samples: Samples, workspace: MediaWorkspace) -> None:
    processes = MediaProcesses()
    plan = EncodePlan(width=640, height=360, video_bitrate=1_500_000, audio_bitrate=128_000)
    with workspace.scratch("out.mp4") as target:
        task = asyncio.create_task(processes.encode(samples(MEDIUM), target, plan))
        await _wait_for_worker(processes)
        await processes.close()
        with pytest.raises(EncodeFailed):
            await task
    assert worker_pids() == []
    with pytest.raises(EncodeFailed):
        await processes.inspect(samples(SMALL))


async def test_encodes_wait_their_turn(samples: Samples, workspace: MediaWorkspace) -> None:
    processes = MediaProcesses(encodes_at_once=1)
    plan = EncodePlan(width=320, height=180, video_bitrate=400_000, audio_bitrate=64_000)
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, len(worker_pids()))
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    try:
        with workspace.scratch("a.mp4") as a, workspace.scratch("b.mp4") as b, workspace.scratch("c.mp4") as c:
            sizes = await asyncio.gather(*(processes.encode(samples(SMALL), t, plan) for t in (a, b, c)))
    finally:
        watcher.cancel()
        await processes.close()
    assert all(size > 0 for size in sizes)
    assert most == 1
