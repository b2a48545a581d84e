"""The media workspace: scratch files go on every path, a dead bot's leftovers go at the next start."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.media.workspace import MediaWorkspace
from tests.media.conftest import contents


async def test_a_scratch_file_is_removed_when_its_block_ends(workspace: MediaWorkspace) -> None:
    with workspace.scratch("video.mp4") as path:
        path.write_bytes(b"x" * 1000)
        assert path.parent == workspace.directory and path.name.endswith("-video.mp4")
        assert workspace.files() == [path]
    assert workspace.files() == []


async def test_a_scratch_file_is_removed_when_the_block_fails(workspace: MediaWorkspace) -> None:
    with pytest.raises(RuntimeError), workspace.scratch("video.mp4") as path:
        path.write_bytes(b"x")
        raise RuntimeError("boom")
    assert workspace.files() == []


async def test_a_scratch_file_is_removed_when_its_task_is_cancelled(workspace: MediaWorkspace) -> None:
    written = asyncio.Event()

    async def job() -> None:
        with workspace.scratch("video.mp4") as path:
            path.write_bytes(b"x")
            written.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(job())
    await written.wait()
    assert len(workspace.files()) == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert workspace.files() == []


async def test_two_scratch_files_of_one_name_do_not_collide(workspace: MediaWorkspace) -> None:
    with workspace.scratch("a.mp4") as first, workspace.scratch("a.mp4") as second:
        assert first != second


async def test_close_removes_the_directory_and_everything_in_it(tmp_path: Path) -> None:
    space = await MediaWorkspace.open(tmp_path)
    (space.directory / "forgotten.mp4").write_bytes(b"x")
    await space.close()
    await space.close()
    assert contents(tmp_path) == []


async def test_a_killed_bots_directory_is_removed_at_the_next_start(tmp_path: Path) -> None:
    # A real process opens a workspace, leaves a file in it and is killed the hard way: nothing of it runs.
    script = textwrap.dedent(f"""
        import asyncio, sys
        from pathlib import Path
        from bot.media.workspace import MediaWorkspace
        async def main():
            space = await MediaWorkspace.open(Path({str(tmp_path)!r}))
            (space.directory / "half-downloaded.mp4").write_bytes(b"x" * 1000)
            print(space.directory, flush=True)
            await asyncio.sleep(60)
        asyncio.run(main())
    """)
    crashed = await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdout=subprocess.PIPE)
    assert crashed.stdout is not None
    leftover = Path((await crashed.stdout.readline()).decode().strip())
    crashed.send_signal(signal.SIGKILL)
    await crashed.wait()
    assert (leftover / "half-downloaded.mp4").exists()

    space = await MediaWorkspace.open(tmp_path)
    assert contents(tmp_path) == [space.directory.name]  # the leftover is gone
    await space.close()


async def test_a_running_bots_directory_is_left_alone(tmp_path: Path) -> None:
    first = await MediaWorkspace.open(tmp_path)
    with first.scratch("busy.mp4") as path:
        path.write_bytes(b"x")
        second = await MediaWorkspace.open(tmp_path)
        assert path.exists()
        assert first.directory != second.directory
        await second.close()
    await first.close()


async def test_a_directory_that_never_got_its_lock_is_removed_once_old(tmp_path: Path) -> None:
    fresh = tmp_path / "videobot-media-1-fresh"
    stale = tmp_path / "videobot-media-2-stale"
    fresh.mkdir()
    stale.mkdir()
    (stale / "x.mp4").write_bytes(b"x")
    os.utime(stale, (0, 0))  # created long ago, and its owner died before taking its lock
    space = await MediaWorkspace.open(tmp_path)
    assert fresh.exists() and not stale.exists()
    await space.close()
