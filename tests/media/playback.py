"""What a player would find in a file: codecs, size, duration, whether every frame decodes, and whether it
can start playing before it has fully loaded. Read with PyAV in the test process, independently of the bot."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class Playback:
    video_codec: str
    audio_codec: str | None
    width: int
    height: int
    duration: float  # seconds, the container's
    frames: int  # video frames that decoded
    audio_seconds: float  # sound that decoded
    faststart: bool  # the index (moov) comes before the media data (mdat)

    @property
    def aspect(self) -> float:
        return self.width / self.height


def play(path: Path) -> Playback:
    """Decode the whole file, as a player would."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames, samples, rate = 0, 0, 1
        for frame in container.decode(*[s for s in (video, audio) if s is not None]):
            if isinstance(frame, av.VideoFrame):
                frames += 1
            elif isinstance(frame, av.AudioFrame):
                samples += frame.samples
                rate = frame.sample_rate
        return Playback(
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            width=video.codec_context.width,
            height=video.codec_context.height,
            duration=(container.duration or 0) / av.time_base,
            frames=frames,
            audio_seconds=samples / rate,
            faststart=_moov_before_mdat(path),
        )


def _moov_before_mdat(path: Path) -> bool:
    """Walk the top-level MP4 boxes: which of moov and mdat comes first."""
    with path.open("rb") as handle:
        end = os.fstat(handle.fileno()).st_size
        offset = 0
        while offset < end:
            handle.seek(offset)
            size, kind = struct.unpack(">I4s", handle.read(8))
            if kind in (b"moov", b"mdat"):
                return kind == b"moov"
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0]
            offset += size if size else end
    return False


def worker_pids() -> list[int]:
    """Media worker processes that are children of this process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"bot.media.worker" in cmdline:
            pids.append(int(entry.name))
    return pids
