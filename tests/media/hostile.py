"""Crafted video files, as a hostile vendor link could serve them: small on disk, expensive to decode.

- `huge_lying`: one 12000×12000 frame of flat colour (about 420 KB of H.264, 216 MB once decoded) whose MP4
  header (the track and its sample entry) says 64×64;
- `switching`: an H.264 stream whose first second is 64×64 and whose frames then become 4000×4000 (16
  million pixels, under H.264's side limits): only decoding reveals them (`switching_padded`: the same,
  padded past 20 MiB);
- `two_hours`: a real 2-second video with sound whose headers say it lasts two hours, padded past 20 MiB so
  that it has to be re-encoded to fit a server's upload limit;
- `many_streams`: a 64×64 video with 40 sound tracks;
- `truncated`: the first half of a real video (its index, written last, is gone).

Each is made once per test session. Making the 12000×12000 frame takes x264 itself about 900 MB for three
seconds, so it is made in a process of its own and the test process stays small.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import pytest

from tests.media.samples import SMALL, Samples

__all__ = ["Hostile", "hostile"]

HOURS_2 = 2 * 3600
PADDED_TO = 21 * 1024 * 1024  # over the stand-in server's default 20 MiB upload limit


def _flat_h264(width: int, height: int, frames: int, level: int) -> bytes:
    """An Annex B H.264 stream of `frames` flat frames: x264 makes almost nothing of them."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, 24)
    codec.options = {"preset": "ultrafast", "crf": "40", "threads": "1", "rc-lookahead": "0", "bframes": "0"}
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes([level]) * plane.buffer_size)
    out = io.BytesIO()
    for i in range(frames):
        frame.pts = i
        out.writelines(bytes(p) for p in codec.encode(frame))
    out.writelines(bytes(p) for p in codec.encode(None))
    return out.getvalue()


def write_huge(path: Path, side: int) -> None:
    """One `side`×`side` flat frame in MP4, its header then made to say 64×64."""
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = side, side, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "40", "threads": "1", "rc-lookahead": "0", "bframes": "0"}
        frame = av.VideoFrame(side, side, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([90]) * plane.buffer_size)
        frame.pts = 0
        out.mux(video.encode(frame))
        out.mux(video.encode(None))
    data = bytearray(path.read_bytes())
    entry = data.find(b"avc1")  # the sample entry: width and height 24 bytes after its header
    struct.pack_into(">HH", data, entry + 28, 64, 64)
    track = data.find(b"tkhd")  # the track header: 16.16 width and height at its end
    struct.pack_into(">II", data, track + 4 + (76 if data[track + 4] == 0 else 88), 64 << 16, 64 << 16)
    path.write_bytes(bytes(data))


def write_switching(path: Path) -> None:
    path.write_bytes(_flat_h264(64, 64, 24, 120) + _flat_h264(4000, 4000, 2, 40))


def write_two_hours(path: Path, source: Path) -> None:
    """`source` remuxed with one more sound packet two hours in (its sample table then says the file lasts two
    hours, as the demuxer reads it), padded with a `free` box."""
    with av.open(str(source)) as inp, av.open(str(path), "w", format="mp4") as out:
        copies = {s.index: out.add_stream_from_template(s) for s in (inp.streams.video[0], inp.streams.audio[0])}
        last = None
        for packet in inp.demux():
            if packet.dts is None or packet.stream.index not in copies:
                continue
            if packet.stream.type == "audio":
                last = bytes(packet), packet.stream.time_base
            packet.stream = copies[packet.stream.index]
            out.mux(packet)
        assert last is not None
        payload, time_base = last
        late = av.Packet(payload)
        late.stream = copies[inp.streams.audio[0].index]
        late.pts = late.dts = int(HOURS_2 / time_base)
        late.time_base = time_base
        out.mux(late)
    with path.open("ab") as padded:
        padding = max(8, PADDED_TO - path.stat().st_size)
        padded.write(struct.pack(">I4s", padding, b"free") + bytes(padding - 8))


def write_many_streams(path: Path, count: int = 40) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        sounds = [out.add_stream("aac", rate=48_000) for _ in range(count)]
        frame = av.VideoFrame(64, 64, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([128]) * plane.buffer_size)
        for i in range(24):
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for sound in sounds:
            silence = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
            for plane in silence.planes:
                plane.update(bytes(plane.buffer_size))
            silence.sample_rate, silence.pts = 48_000, 0
            out.mux(sound.encode(silence))
            out.mux(sound.encode(None))


class Hostile:
    """The crafted files by name, each made on first use and kept for the session."""

    def __init__(self, directory: Path, samples: Samples) -> None:
        self.directory = directory
        self._samples = samples

    def _made(self, name: str, make: object) -> Path:
        path = self.directory / name
        if not path.exists():
            partial = path.with_name(f"partial-{name}")
            make(partial)  # type: ignore[operator]
            partial.rename(path)
        return path

    def huge_lying(self, side: int = 12000) -> Path:
        def make(path: Path) -> None:  # x264 needs ~900 MB for this frame: not in the test process
            subprocess.run([sys.executable, "-m", "tests.media.hostile", "huge", str(path), str(side)], check=True)

        return self._made(f"huge-{side}-says-64.mp4", make)

    def switching(self) -> Path:
        return self._made("64-then-4000.h264", write_switching)

    def switching_padded(self) -> Path:
        """`switching` followed by zeros past 20 MiB: too large to upload as it came, so it is read in full."""
        def make(path: Path) -> None:
            write_switching(path)
            with path.open("ab") as padded:
                padded.write(bytes(PADDED_TO - path.stat().st_size))

        return self._made("64-then-4000-padded.h264", make)

    def two_hours(self) -> Path:
        return self._made("2s-says-2h-padded.mp4", lambda path: write_two_hours(path, self._samples(SMALL)))

    def many_streams(self) -> Path:
        return self._made("40-sound-tracks.mp4", write_many_streams)

    def truncated(self) -> Path:
        def make(path: Path) -> None:
            whole = self._samples(SMALL).read_bytes()
            path.write_bytes(whole[: len(whole) // 2])

        return self._made("truncated.mp4", make)


@pytest.fixture(scope="session")
def hostile(samples: Samples, tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    directory = tmp_path_factory.getbasetemp() / "hostile-media"
    directory.mkdir(exist_ok=True)
    return Hostile(directory, samples)


if __name__ == "__main__":  # python -m tests.media.hostile huge PATH SIDE
    write_huge(Path(sys.argv[2]), int(sys.argv[3]))
