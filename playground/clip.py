"""The picture behind each simulated video: a gradient in colours drawn from the prompt, a ball crossing it
and a bar filling along the bottom, so it is plain to see that the video plays. Makes the MP4 and a PNG
still of the same scene (the preview the vendor sends along).

Pure Python, so it runs in a worker thread (see vendor_media.py); only the macroblocks the ball or the bar
touch are redrawn after the first frame.
"""

from __future__ import annotations

import colorsys
import dataclasses
import hashlib
import math
import struct
import zlib
from collections.abc import Iterator

from playground import h264, mp4

FPS = 12
SECONDS = 4
LONG_SIDE, SHORT_SIDE = 256, 144
BALL_RADIUS = 14
BAR_HEIGHT = 6
Rgb = tuple[int, int, int]
Yuv = tuple[int, int, int]


def yuv(rgb: Rgb) -> Yuv:
    """BT.601 limited range, as H.264 decoders assume when the stream says nothing else."""
    r, g, b = rgb
    y = 16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256
    cb = 128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256
    cr = 128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256
    return _clamp(y), _clamp(cb), _clamp(cr)


def _clamp(value: float) -> int:
    # 16..235 keeps every PCM sample non-zero, well inside what limited-range decoders expect.
    return min(235, max(16, round(value)))


@dataclasses.dataclass(frozen=True)
class Scene:
    """What one video shows: its size and colours come from the request, the motion from the time."""

    width: int
    height: int
    top: Rgb
    bottom: Rgb
    frames: int = FPS * SECONDS

    @classmethod
    def for_prompt(cls, prompt: str, orientation: str) -> Scene:
        """Two related hues picked by the prompt's hash; portrait videos stand upright."""
        digest = hashlib.sha256(prompt.encode()).digest()
        hue = digest[0] / 255
        top = colorsys.hsv_to_rgb(hue, 0.55, 0.95)
        bottom = colorsys.hsv_to_rgb((hue + 0.12) % 1.0, 0.85, 0.45)
        width, height = (SHORT_SIDE, LONG_SIDE) if orientation == "portrait" else (LONG_SIDE, SHORT_SIDE)
        return cls(width, height, _rgb(top), _rgb(bottom))

    def ball(self, frame: int) -> tuple[float, float]:
        """The ball's centre: it crosses once, left to right, on a gentle wave."""
        progress = frame / max(1, self.frames - 1)
        x = BALL_RADIUS + progress * (self.width - 2 * BALL_RADIUS)
        y = self.height * 0.45 + math.sin(progress * 2 * math.pi) * self.height * 0.2
        return x, y

    def bar(self, frame: int) -> int:
        """How many pixels of the bottom bar are filled."""
        return round((frame + 1) / self.frames * self.width)

    def rgb(self, x: int, y: int, frame: int) -> Rgb:
        """The colour of one pixel."""
        if y >= self.height - BAR_HEIGHT:
            return (255, 255, 255) if x < self.bar(frame) else (40, 40, 48)
        bx, by = self.ball(frame)
        if (x - bx) ** 2 + (y - by) ** 2 <= BALL_RADIUS**2:
            return (250, 250, 250)
        t = y / (self.height - 1)
        return _mix(self.top, self.bottom, t)


def _rgb(colour: tuple[float, float, float]) -> Rgb:
    return (round(colour[0] * 255), round(colour[1] * 255), round(colour[2] * 255))


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


class _Canvas:
    """Mutable Y/Cb/Cr planes redrawn macroblock by macroblock."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.luma = bytearray(scene.width * scene.height)
        self.cb = bytearray(scene.width * scene.height // 4)
        self.cr = bytearray(scene.width * scene.height // 4)

    def draw(self, mbx: int, mby: int, frame: int) -> None:
        scene, width, half = self.scene, self.scene.width, self.scene.width // 2
        for y in range(mby * 16, mby * 16 + 16):
            for x in range(mbx * 16, mbx * 16 + 16):
                luma, cb, cr = yuv(scene.rgb(x, y, frame))
                self.luma[y * width + x] = luma
                if not x % 2 and not y % 2:  # 4:2:0: one chroma sample per 2×2 block, taken at its corner
                    self.cb[(y // 2) * half + x // 2] = cb
                    self.cr[(y // 2) * half + x // 2] = cr

    def planes(self) -> h264.Planes:
        return h264.Planes(self.scene.width, self.scene.height, bytes(self.luma), bytes(self.cb), bytes(self.cr))


def _touched(scene: Scene, frame: int) -> set[tuple[int, int]]:
    """Macroblocks whose pixels may differ between ``frame - 1`` and ``frame``: the ball's old and new
    squares, and the stretch of the bar that filled."""
    out: set[tuple[int, int]] = set()
    columns, rows = scene.width // 16, scene.height // 16
    for moment in (frame - 1, frame):
        bx, by = scene.ball(moment)
        for mbx in _blocks(bx, columns):
            for mby in _blocks(by, rows):
                out.add((mbx, mby))
    for mbx in range(scene.bar(frame - 1) // 16, min(columns, scene.bar(frame) // 16 + 1)):
        out.add((mbx, (scene.height - 1) // 16))
    return out


def _blocks(centre: float, count: int) -> range:
    """Macroblock indexes along one axis that the ball, centred there, may cover."""
    first = int((centre - BALL_RADIUS - 1) // 16)
    last = int((centre + BALL_RADIUS + 1) // 16)
    return range(max(0, first), min(count, last + 1))


def _frames(scene: Scene) -> Iterator[tuple[h264.Planes, set[tuple[int, int]]]]:
    canvas = _Canvas(scene)
    everything = {(x, y) for x in range(scene.width // 16) for y in range(scene.height // 16)}
    for frame in range(scene.frames):
        changed = everything if frame == 0 else _touched(scene, frame)
        for mbx, mby in changed:
            canvas.draw(mbx, mby, frame)
        yield canvas.planes(), changed


def render_mp4(scene: Scene) -> bytes:
    """The scene as a playable H.264 MP4."""
    planes, changed = zip(*_frames(scene), strict=True)
    nals = h264.encode(planes, changed)
    sps = h264.sequence_parameter_set(scene.width, scene.height, FPS)
    track = mp4.Track(scene.width, scene.height, FPS, sps, h264.picture_parameter_set())
    return mp4.write_mp4(track, nals)


def render_png(scene: Scene, frame: int | None = None) -> bytes:
    """One frame of the scene (the middle one by default) as a PNG."""
    moment = scene.frames // 2 if frame is None else frame
    rows = bytearray()
    for y in range(scene.height):
        rows.append(0)  # filter type: none
        for x in range(scene.width):
            rows += bytes(scene.rgb(x, y, moment))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", scene.width, scene.height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(
        b"IEND", b""
    )
