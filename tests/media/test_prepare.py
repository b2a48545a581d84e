"""From a vendor's URL to the files uploaded with a finished video: real videos over real sockets."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.media.prepare import MediaPreparer, NotAttached, PreparedVideo
from bot.media.processes import MediaProcesses
from bot.media.workspace import MediaWorkspace
from tests.media.conftest import FileServer, until
from tests.media.playback import play, worker_pids
from tests.media.samples import HUGE, LARGE, LONG, MEDIUM, PORTRAIT, SILENT, SMALL, Samples

MIB = 1024 * 1024
LIMIT = 10 * MIB

Make = Callable[..., MediaPreparer]


@pytest.fixture
def preparer(http: aiohttp.ClientSession, workspace: MediaWorkspace, processes: MediaProcesses,
             file_server: FileServer) -> Make:
    def make(**options: object) -> MediaPreparer:
        return MediaPreparer(http, workspace, processes, trusted_origins=(file_server.base,), **options)

    return make


async def test_a_30_mb_video_is_re_encoded_under_a_10_mib_limit(
    samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    source = samples(LARGE)
    original = play(source)
    assert source.stat().st_size > 3 * LIMIT
    async with preparer().prepare(file_server.add(source), limit=LIMIT) as ready:
        assert ready.video is not None and ready.reencoded and ready.not_attached is None
        assert ready.original_bytes == source.stat().st_size
        size = ready.video.stat().st_size
        seen = play(ready.video)
        assert ready.image_is_poster and ready.image is not None and ready.image.read_bytes()[:2] == b"\xff\xd8"
    assert size <= LIMIT
    assert (seen.video_codec, seen.audio_codec) == ("h264", "aac")
    assert seen.frames == original.frames  # every frame decodes, none dropped
    assert seen.duration == pytest.approx(original.duration, abs=0.1)
    assert seen.audio_seconds == pytest.approx(original.audio_seconds, abs=0.1)
    assert seen.aspect == pytest.approx(original.aspect, rel=0.01)
    assert seen.faststart  # plays while it loads


async def test_a_video_that_fits_is_uploaded_as_it_came_with_the_vendors_preview(
    samples: Samples, file_server: FileServer, preparer: Make, tmp_path: Path
) -> None:
    source = samples(SMALL)
    image = tmp_path / "preview.webp"
    image.write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(100))
    preview = file_server.add(image)
    async with preparer().prepare(file_server.add(source), limit=LIMIT, preview_url=preview) as ready:
        assert ready == PreparedVideo(ready.video, original_bytes=source.stat().st_size, image=ready.image)
        assert ready.video is not None and ready.video.read_bytes() == source.read_bytes()
        assert ready.image is not None and ready.image.read_bytes() == image.read_bytes()


@pytest.mark.parametrize("preview", [None, "expired.webp"])
async def test_without_a_usable_preview_a_frame_of_the_video_is_taken(
    preview: str | None, samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    preview_url = file_server.url(preview) if preview else None
    async with preparer().prepare(file_server.add(samples(SMALL)), limit=LIMIT, preview_url=preview_url) as ready:
        assert not ready.reencoded and ready.image_is_poster
        assert ready.image is not None and ready.image.read_bytes()[:2] == b"\xff\xd8"


async def test_the_caller_hears_when_a_re_encode_starts(samples: Samples, file_server: FileServer,
                                                        preparer: Make) -> None:
    started: list[str] = []
    url = file_server.add(samples(SMALL))
    async with preparer().prepare(url, limit=LIMIT, on_reencode=lambda: started.append("fits")):
        pass
    async with preparer().prepare(url, limit=300 * 1024, on_reencode=lambda: started.append("re-encode")) as ready:
        assert ready.reencoded
    assert started == ["re-encode"]


@pytest.mark.parametrize(("sample", "limit"), [(PORTRAIT, 300 * 1024), (SILENT, 300 * 1024)])
async def test_small_limits_keep_orientation_and_sound_or_silence(
    sample, limit: int, samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    source = samples(sample)
    async with preparer().prepare(file_server.add(source), limit=limit) as ready:
        assert ready.video is not None and ready.reencoded
        assert ready.video.stat().st_size <= limit
        seen = play(ready.video)
    original = play(source)
    assert (seen.width < seen.height) == (original.width < original.height)
    assert seen.audio_codec == original.audio_codec and seen.duration == pytest.approx(original.duration, abs=0.1)


async def test_a_100_mib_video_is_unfittable_and_its_download_stops_early(
    samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    source = samples(HUGE)
    assert source.stat().st_size > 100 * MIB
    file_server.add(source)
    async with preparer().prepare(file_server.url(source.name, "chunked"), limit=LIMIT) as ready:
        assert ready == PreparedVideo(None, NotAttached.UNFITTABLE)
    assert file_server.sent < 80 * MIB


async def test_re_encoding_turned_off_links_a_video_too_large(
    samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    url = file_server.add(samples(MEDIUM))
    async with preparer(reencode=False).prepare(url, limit=2 * MIB) as ready:
        assert ready == PreparedVideo(None, NotAttached.TOO_LARGE)


async def test_a_video_too_long_for_the_limit_is_linked_but_still_gets_a_poster(
    samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    async with preparer().prepare(file_server.add(samples(LONG)), limit=200 * 1024) as ready:
        assert ready.video is None and ready.not_attached is NotAttached.UNFITTABLE
        assert ready.image_is_poster and ready.image is not None and ready.image.stat().st_size > 0


async def test_a_file_that_is_not_a_video(tmp_path: Path, file_server: FileServer, preparer: Make) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"SIMULATED VIDEO\n" * 4096)
    url = file_server.add(fake)
    async with preparer().prepare(url, limit=1 * MIB) as ready:  # fits: uploaded, without a poster
        assert ready.video is not None and ready.image is None and not ready.reencoded
    async with preparer().prepare(url, limit=32 * 1024) as ready:  # too large: nothing to re-encode
        assert ready.video is None and ready.not_attached is NotAttached.UNFITTABLE


async def test_a_dead_link_is_unavailable(file_server: FileServer, preparer: Make) -> None:
    async with preparer().prepare(file_server.url("expired.mp4"), limit=LIMIT) as ready:
        assert ready == PreparedVideo(None, NotAttached.UNAVAILABLE)


async def test_the_event_loop_keeps_ticking_while_a_video_is_prepared(
    samples: Samples, file_server: FileServer, preparer: Make
) -> None:
    loop = asyncio.get_running_loop()
    beats: list[float] = []

    async def heartbeat() -> None:
        while True:
            beats.append(loop.time())
            await asyncio.sleep(0.02)

    ticker = asyncio.create_task(heartbeat())
    try:
        async with preparer().prepare(file_server.add(samples(MEDIUM)), limit=2 * MIB) as ready:
            assert ready.reencoded
    finally:
        ticker.cancel()
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    assert max(gaps) < 0.25, f"the loop stalled for {max(gaps):.2f} s"


@pytest.mark.parametrize("stage", ["download", "encode"])
async def test_cancelling_leaves_no_file_and_no_worker(  # noqa: PLR0917  (pytest passes fixtures by name)
    stage: str, samples: Samples, file_server: FileServer, preparer: Make, processes: MediaProcesses,
    workspace: MediaWorkspace,
) -> None:
    file_server.add(samples(MEDIUM))
    url = file_server.url(samples(MEDIUM).name, "slow" if stage == "download" else "")

    async def deliver() -> None:
        async with preparer().prepare(url, limit=2 * MIB):
            pytest.fail("should have been cancelled before the files were ready")

    task = asyncio.create_task(deliver())
    if stage == "download":
        await until(lambda: file_server.sent >= 64 * 1024, "the download to be under way")
    else:
        await until(lambda: any(p.name.endswith("fitted.mp4") for p in workspace.files()), "the encode to write")
    assert workspace.files() != []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert workspace.files() == [] and worker_pids() == [] and processes.running == 0
