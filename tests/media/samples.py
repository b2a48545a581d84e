"""Real H.264/AAC files for the tests, written with PyAV once per test session and shared by every test.

Pictures are a band of moving noise over a fading flat area (noise makes big files quickly, and is the
hardest thing for an encoder, so fitting it is a fair test), with a 480 Hz tone as sound.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

SAMPLE_RATE = 48_000
_TONE = struct.pack("<100f", *(0.2 * math.sin(2 * math.pi * i / 100) for i in range(100)))  # 480 Hz


@dataclass(frozen=True)
class Sample:
    """How to make one test video."""

    width: int
    height: int
    fps: int
    seconds: float
    crf: int  # x264 quality: 0 is lossless (largest), 51 the smallest
    audio: bool = True
    grain: float = 1.0  # share of the picture's rows that are noise

    @property
    def name(self) -> str:
        sound = "aac" if self.audio else "silent"
        return f"{self.width}x{self.height}-{self.fps}fps-{self.seconds:g}s-crf{self.crf}-g{self.grain:g}-{sound}.mp4"


SMALL = Sample(320, 180, 24, 2.0, 23, grain=0.3)  # a few hundred KB
PORTRAIT = Sample(180, 320, 24, 2.0, 23, grain=0.3)
SILENT = Sample(320, 180, 24, 2.0, 23, audio=False, grain=0.3)
MEDIUM = Sample(640, 360, 30, 6.0, 26)  # a few MB; its re-encode lasts long enough to be caught mid-way
LONG = Sample(160, 90, 24, 60.0, 30, audio=False, grain=0.1)  # a minute: no re-encode fits a few hundred KB
LARGE = Sample(1280, 720, 24, 10.0, 36)  # ~30 MB, 720p: the "larger than the server allows"
HUGE = Sample(640, 360, 24, 12.5, 0)  # ~100 MiB (lossless noise)


def write_video(path: Path, sample: Sample) -> Path:
    """Write `sample` to `path` as H.264 (+ AAC) in MP4."""
    rng = random.Random(sample.name)
    w, h = sample.width, sample.height
    noisy_rows = round(h * sample.grain)
    noise = rng.randbytes(w * h * 3)  # room for rows padded to the planes' line size
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=sample.fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": str(sample.crf)}
        audio = out.add_stream("aac", rate=SAMPLE_RATE) if sample.audio else None
        if audio is not None:
            audio.layout = "stereo"
        frames = round(sample.fps * sample.seconds)
        for i in range(frames):
            frame = av.VideoFrame(w, h, "yuv420p")
            luma, *chroma = frame.planes
            offset = (i * 7919) % (w * h)
            level = 16 + (200 * i) // max(1, frames - 1)
            stride = luma.line_size
            luma.update(noise[offset : offset + stride * noisy_rows] + bytes([level]) * (stride * (h - noisy_rows)))
            for plane in chroma:
                plane.update(bytes([128]) * plane.buffer_size)
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            _write_tone(out, audio, sample.seconds)
    return path


def _write_tone(out: av.container.OutputContainer, audio: av.AudioStream, seconds: float) -> None:
    total, done = round(SAMPLE_RATE * seconds), 0
    tone = _TONE * 12
    while done < total:
        n = min(1024, total - done)
        start = (done % 100) * 4
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=n)
        chunk = tone[start : start + n * 4]
        frame.planes[0].update(chunk)
        frame.planes[1].update(chunk)
        frame.sample_rate, frame.pts = SAMPLE_RATE, done
        out.mux(audio.encode(frame))
        done += n
    out.mux(audio.encode(None))


class Samples:
    """Test videos made on first use and kept for the whole session."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, sample: Sample) -> Path:
        path = self.directory / sample.name
        if not path.exists():
            partial = path.with_suffix(".partial.mp4")
            write_video(partial, sample)
            partial.rename(path)
        return path


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    """Real videos by `Sample`; each is written once per session, in the session's temporary directory."""
    directory = tmp_path_factory.getbasetemp() / "media-samples"
    directory.mkdir(exist_ok=True)
    return Samples(directory)
