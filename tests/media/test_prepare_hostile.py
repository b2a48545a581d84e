"""Crafted vendor files through the whole preparation: never uploaded when a worker refused them or died of
them, linked with "could not be prepared" instead, and nothing left behind; a bug inside ends the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.media.plan import EncodePlan
from bot.media.prepare import MediaPreparer, NotAttached, PreparedVideo
from bot.media.processes import Inspection, MediaProcesses
from bot.media.workspace import MediaWorkspace
from tests.media.conftest import FileServer
from tests.media.hostile import Hostile, hostile
from tests.media.samples import SMALL, Samples

__all__ = ["hostile"]

MIB = 1024 * 1024
LIMIT = 10 * MIB

Make = Callable[..., MediaPreparer]


@pytest.fixture
def preparer(http: aiohttp.ClientSession, workspace: MediaWorkspace, processes: MediaProcesses,
             file_server: FileServer) -> Make:
    def make(workers: MediaProcesses | None = None) -> MediaPreparer:
        return MediaPreparer(http, workspace, workers or processes, trusted_origins=(file_server.base,))

    return make


@pytest.mark.parametrize("craft", ["huge_lying", "switching", "many_streams"])
async def test_a_crafted_file_that_fits_is_linked_not_uploaded(
    hostile: Hostile, file_server: FileServer, preparer: Make, craft: str
) -> None:
    path = getattr(hostile, craft)()
    assert path.stat().st_size < LIMIT  # it would have been uploaded as it came, had its poster not been taken
    async with preparer().prepare(file_server.add(path), limit=LIMIT) as ready:
        assert ready == PreparedVideo(None, NotAttached.UNPREPARABLE, original_bytes=path.stat().st_size)


async def test_two_hours_with_sound_over_the_limit_is_linked_not_a_crash(
    hostile: Hostile, file_server: FileServer, preparer: Make
) -> None:
    path = hostile.two_hours()
    assert path.stat().st_size > LIMIT
    async with preparer().prepare(file_server.add(path), limit=LIMIT) as ready:
        assert ready.video is None and ready.not_attached is NotAttached.UNPREPARABLE


class _BrokenWorkers(MediaProcesses):
    """Workers whose answers the bot cannot use: where a bug in the bot's own code would surface."""

    async def inspect(self, source: Path, *, poster: Path | None = None) -> Inspection:
        raise RuntimeError("coroutine raised StopIteration")

    async def encode(self, source: Path, target: Path, plan: EncodePlan, *, owner: object = None) -> int:
        raise AssertionError("not reached")


async def test_any_exception_while_preparing_links_the_video_and_leaves_no_file(
    samples: Samples, hostile: Hostile, file_server: FileServer, preparer: Make
) -> None:
    broken = _BrokenWorkers()
    async with preparer(broken).prepare(file_server.add(hostile.two_hours()), limit=LIMIT) as ready:
        assert ready == PreparedVideo(None, NotAttached.UNPREPARABLE)
    async with preparer(broken).prepare(file_server.add(samples(SMALL)), limit=LIMIT) as ready:
        assert ready == PreparedVideo(None, NotAttached.UNPREPARABLE)
    await broken.close()
