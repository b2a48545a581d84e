"""The simulated videos are real H.264 MP4s (a browser test plays one); here, their structure."""

from __future__ import annotations

import struct

from playground import h264
from playground.clip import FPS, SECONDS, Scene, render_mp4, render_png


def boxes(data: bytes, start: int = 0, end: int | None = None) -> dict[bytes, bytes]:
    """Top-level boxes of an ISO BMFF byte range, by type."""
    out, offset, end = {}, start, len(data) if end is None else end
    while offset < end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        out[kind] = data[offset + 8 : offset + size]
        offset += size
    return out


def test_exp_golomb_codes_match_the_standard() -> None:
    writer = h264.BitWriter()
    for value in (0, 1, 2, 3, 7):
        writer.ue(value)
    writer.se(-1)
    # 1 010 011 00100 0001000 | se(-1) = ue(2) = 011 | stop bit 1, then zeros
    assert writer.trailing() == bytes([0b10100110, 0b01000001, 0b00001110])


def test_emulation_prevention_protects_start_codes() -> None:
    assert h264.nal_unit(1, b"\x00\x00\x01\x00\x00\x00") == b"\x61\x00\x00\x03\x01\x00\x00\x03\x00"


def test_the_mp4_has_one_playable_track_of_every_frame() -> None:
    scene = Scene.for_prompt("a cat surfing", "landscape")
    data = render_mp4(scene)
    top = boxes(data)
    assert list(top) == [b"ftyp", b"moov", b"mdat"]  # moov first: playback starts before the download ends
    trak = boxes(top[b"moov"])[b"trak"]
    stbl = boxes(boxes(boxes(boxes(trak)[b"mdia"])[b"minf"])[b"stbl"])
    sizes = struct.unpack(f">{FPS * SECONDS}I", stbl[b"stsz"][12:])
    assert sum(sizes) == len(top[b"mdat"])
    sample_entry = stbl[b"stsd"][8:]
    assert sample_entry[4:8] == b"avc1" and struct.unpack(">HH", sample_entry[32:36]) == (256, 144)
    avcc = sample_entry[sample_entry.index(b"avcC") + 4 :]
    assert avcc[1] == 66  # Baseline
    mdat, first = top[b"mdat"], struct.unpack(">I", top[b"mdat"][:4])[0]
    assert mdat[4] == 0x65 and first > 144 * 384  # an IDR frame holding every macroblock whole
    assert mdat[4 + first + 4] == 0x61 and sizes[1] < sizes[0] // 4  # later frames: only what moved


def test_each_prompt_gets_its_own_colours_and_portrait_stands_upright() -> None:
    portrait = Scene.for_prompt("a cat surfing", "portrait")
    assert (portrait.width, portrait.height) == (144, 256)
    assert Scene.for_prompt("a dog skiing", "portrait").top != portrait.top
    png = render_png(portrait)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", png[16:24]) == (144, 256)
