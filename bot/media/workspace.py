"""A temporary directory owned by one running bot, for downloads, re-encodes and posters.

Each bot gets its own directory under a shared root and holds an exclusive `flock` on a lock file inside
it for as long as it runs. The kernel drops that lock when the process dies however it dies, so at start a
bot removes every sibling directory whose lock it can take: the leftovers of a crash or a kill -9. At close
it removes its own. In between, each scratch file is removed when its `with` block ends, on every path:
success, error and cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Final, TextIO

__all__ = ["MediaWorkspace"]

log = logging.getLogger(__name__)

PREFIX: Final = "videobot-media-"
LOCK: Final = ".lock"
SETUP_GRACE: Final = 60.0  # seconds a fresh directory may still be without its lock (being set up)


class MediaWorkspace:
    """This process's scratch directory. Open with `await MediaWorkspace.open(root)`; `close` removes it."""

    def __init__(self, directory: Path, lock: TextIO) -> None:
        self.directory = directory
        self._lock = lock

    @classmethod
    async def open(cls, root: Path) -> MediaWorkspace:
        """Create this process's directory under `root`, after removing those of bots no longer running."""
        return await asyncio.to_thread(cls._open, root)

    @classmethod
    def _open(cls, root: Path) -> MediaWorkspace:
        root.mkdir(parents=True, exist_ok=True)
        for stale in _abandoned(root):
            log.info("removing %s, left by a bot that is no longer running", stale)
            shutil.rmtree(stale, ignore_errors=True)
        directory = root / f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        lock = (directory / LOCK).open("w")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return cls(directory, lock)

    @contextlib.contextmanager
    def scratch(self, name: str) -> Iterator[Path]:
        """A fresh path ending in `name`, removed when the block ends (whatever was written to it).

        The removal is a plain unlink on purpose, not a thread hop: one metadata call, and it still runs when
        the task is cancelled a second time while cleaning up.
        """
        path = self.directory / f"{uuid.uuid4().hex[:12]}-{name}"
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """Scratch files present now (the lock file aside)."""
        return [p for p in self.directory.iterdir() if p.name != LOCK]

    async def close(self) -> None:
        """Remove the directory and everything in it; idempotent."""
        if self._lock.closed:
            return
        await asyncio.to_thread(shutil.rmtree, self.directory, True)
        self._lock.close()  # releases the flock


def _abandoned(root: Path) -> Iterator[Path]:
    """Sibling directories whose owner is gone: their lock is free, or they never got one."""
    for directory in root.glob(f"{PREFIX}*"):
        if not directory.is_dir():
            continue
        try:
            fd = os.open(directory / LOCK, os.O_RDONLY)  # never O_CREAT: a missing lock means something
        except FileNotFoundError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - directory.stat().st_mtime > SETUP_GRACE:
                    yield directory
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live bot holds it
        try:
            yield directory  # removed while this lock is held, so no one else can claim it meanwhile
        finally:
            os.close(fd)
