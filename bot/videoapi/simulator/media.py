"""Deterministic stand-ins for the vendor's media: an MP4-looking file and a real PNG preview."""

from __future__ import annotations

import hashlib
import struct
import zlib

__all__ = ["simulated_image", "simulated_video"]


def simulated_video(name: str, size: int) -> bytes:
    """Deterministic bytes of exactly `size` that start like an MP4 (not a playable video)."""
    head = struct.pack(">I4s4sI8s", 24, b"ftyp", b"isom", 0x200, b"isomsimu")
    filler = f"SIMULATED VIDEO {name}\n".encode()
    body = head + filler * (size // len(filler) + 1)
    return body[:size]


def simulated_image(name: str, size: int) -> bytes:
    """A valid 64x36 PNG in a colour derived from `name`, padded with a comment to `size` bytes if larger."""
    r, g, b = hashlib.sha1(name.encode()).digest()[:3]
    width, height = 64, 36
    raw = b"".join(b"\x00" + bytes((r, g, b)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(raw, 9))
    end = chunk(b"IEND", b"")
    base = b"\x89PNG\r\n\x1a\n" + ihdr + idat
    pad = size - len(base) - len(end) - 12 - len(b"Comment\x00")
    text = b""
    if pad >= 0:
        text = chunk(b"tEXt", b"Comment\x00" + (b"simulated " * (pad // 10 + 1))[:pad])
    return base + text + end
