"""An MP4 (ISO base media file) writer for one H.264 video track: ``ftyp``, then ``moov`` before ``mdat``,
so a browser can start playing before the whole file has arrived."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence

MOVIE_TIMESCALE = 1000
UNITY_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
LANGUAGE_UND = 0x55C4  # "und" packed as three 5-bit letters


@dataclasses.dataclass(frozen=True)
class Track:
    """The video track: picture size, frame rate, and the H.264 parameter sets (NAL units, no start code)."""

    width: int
    height: int
    fps: int
    sps: bytes
    pps: bytes


def box(kind: bytes, *parts: bytes) -> bytes:
    """A box: 32-bit size, four-character type, payload."""
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    """A box whose payload starts with a version byte and 24 bits of flags."""
    return box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def _avc_config(sps: bytes, pps: bytes) -> bytes:
    # AVCDecoderConfigurationRecord: profile, compatibility and level copied from the SPS, 4-byte lengths.
    return box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )


def _sample_entry(width: int, height: int, sps: bytes, pps: bytes) -> bytes:
    name = b"playground h264"
    compressor = bytes([len(name)]) + name + bytes(31 - len(name))
    return box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),  # pre_defined and reserved
        struct.pack(">HHIIIH", width, height, 0x00480000, 0x00480000, 0, 1),
        compressor,
        struct.pack(">Hh", 0x0018, -1),
        _avc_config(sps, pps),
    )


def _sample_table(track: Track, sizes: Sequence[int], offset: int) -> bytes:
    return box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), _sample_entry(track.width, track.height, track.sps, track.pps)),
        full_box(b"stts", 0, 0, struct.pack(">III", 1, len(sizes), 1)),  # one tick of the media timescale each
        full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)),  # only the first frame is a sync sample
        full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(sizes), 1)),  # one chunk holds every sample
        full_box(b"stsz", 0, 0, struct.pack(">II", 0, len(sizes)), struct.pack(f">{len(sizes)}I", *sizes)),
        full_box(b"stco", 0, 0, struct.pack(">II", 1, offset)),
    )


def _movie(track: Track, sizes: Sequence[int], offset: int) -> bytes:
    width, height, fps = track.width, track.height, track.fps
    media_duration = len(sizes)  # media timescale = fps: one tick per frame
    movie_duration = len(sizes) * MOVIE_TIMESCALE // fps
    mvhd = full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, MOVIE_TIMESCALE, movie_duration),
        struct.pack(">IH", 0x00010000, 0x0100), bytes(10), UNITY_MATRIX, bytes(24), struct.pack(">I", 2),
    )
    tkhd = full_box(
        b"tkhd", 0, 3,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, 1, 0, movie_duration), bytes(8),
        struct.pack(">hhhH", 0, 0, 0, 0), UNITY_MATRIX, struct.pack(">II", width << 16, height << 16),
    )
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, fps, media_duration, LANGUAGE_UND, 0))
    hdlr = full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
    minf = box(
        b"minf",
        full_box(b"vmhd", 0, 1, bytes(8)),
        box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))),
        _sample_table(track, sizes, offset),
    )
    return box(b"moov", mvhd, box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf)))


def write_mp4(track: Track, frames: Sequence[bytes]) -> bytes:
    """An MP4 file: ``frames`` are NAL units (one per frame, without start codes), stored length-prefixed."""
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    samples = [struct.pack(">I", len(f)) + f for f in frames]
    sizes = [len(s) for s in samples]
    # The chunk offset is where the samples start: after ftyp, moov and mdat's own 8-byte header. moov's
    # size does not depend on the offset's value, so it is measured once with a placeholder.
    moov_size = len(_movie(track, sizes, 0))
    moov = _movie(track, sizes, len(ftyp) + moov_size + 8)
    return ftyp + moov + box(b"mdat", *samples)
