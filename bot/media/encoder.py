"""The PyAV work itself: probe a file, re-encode it to a plan, take a poster frame.

Everything here blocks and allocates frame buffers, so it runs only inside a worker process (see
worker.py), never in the bot's own process: the event loop keeps running, and the memory an encode took is
given back to the system when its process exits.

Every file is read under `MediaLimits` (see limits.py): its declarations are checked before any frame is
decoded, the decoder itself refuses frames over the pixel limit (FFmpeg's `max_pixels`, also while the
container is probed, which decodes a frame of its own), and every decoded frame's real size is checked again
before it is converted or scaled, so a header that says 64×64 over 12000×12000 frames gets nowhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Final

import av
import av.container
import av.stream

from bot.media.limits import Declared, MediaLimits, refusal
from bot.media.plan import EncodePlan, MediaInfo

__all__ = ["Refused", "Undecodable", "encode", "poster", "probe"]

# "veryfast": about twice the speed of the default preset for a few per cent more bits, which matters on
# a small machine with several videos waiting. A short lookahead and two threads bound each encoder's
# memory (x264 keeps a frame buffer per lookahead frame and per thread).
X264_OPTIONS: Final = {"preset": "veryfast", "rc-lookahead": "10", "profile": "high"}
ENCODER_THREADS: Final = 2
DECODER_THREADS: Final = 1  # one: each decoder thread holds its own frames; x264 is the bottleneck
POSTER_AT: Final = 1.0  # seconds in: generated videos often open on a fade or a frozen first frame
POSTER_MAX_SIDE: Final = 1280
POSTER_QUALITY: Final = 4  # JPEG quantiser, 2 (best) … 31


class Undecodable(Exception):
    """The file has no video stream PyAV can decode."""


class Refused(Exception):
    """The file asks for more than a worker may spend (see limits.py); the message says what."""


@contextlib.contextmanager
def _reading(path: Path, limits: MediaLimits) -> Iterator[av.container.InputContainer]:
    """`path` opened under `limits`, its declarations checked; FFmpeg's errors said as Undecodable or Refused."""
    # The decoder options reach the decoder that probing opens on its own, and (below) the one that decodes.
    options = _decoder_options(limits)
    try:
        with av.open(str(path), options=options) as container:
            reason = refusal(_declared(container), limits)
            if reason is not None:
                raise Refused(reason)
            for stream in container.streams.video:
                stream.codec_context.options = dict(options)
                stream.codec_context.thread_count = DECODER_THREADS
            try:
                yield container
            except av.FFmpegError as error:
                # A stream that starts small and switches to huge frames mid-way: the decoder refused the new
                # size (max_pixels), and its context says which size that was.
                reason = _decoder_refusal(container, limits)
                if reason is not None:
                    raise Refused(f"{reason}, after a header that said less") from error
                raise
    except MemoryError as error:  # also av.error.MemoryError: the worker's address space ran out
        raise Refused("it needed more memory than a media worker may use") from error
    except (av.FFmpegError, IndexError, ZeroDivisionError, OverflowError) as error:
        raise Undecodable(str(error)) from error


def _decoder_refusal(container: av.container.InputContainer, limits: MediaLimits) -> str | None:
    """Why a video stream's decoder may not go on: the size it was last asked to take is over the limits."""
    for stream in container.streams.video:
        ctx = stream.codec_context
        if ctx is not None and (reason := limits.frame_too_large(ctx.width, ctx.height)) is not None:
            return reason
    return None


def _decoder_options(limits: MediaLimits) -> dict[str, str]:
    # One thread: each decoder thread holds frames of its own, and x264, not the decoder, sets the pace.
    return {"max_pixels": str(limits.max_pixels), "threads": str(DECODER_THREADS)}


def _declared(container: av.container.InputContainer) -> Declared:
    video = container.streams.video[0] if container.streams.video else None
    duration = container.duration / av.time_base if container.duration is not None else None
    if video is None:
        return Declared(len(container.streams), 0, 0, duration, None, None)
    rate = video.average_rate or video.guessed_rate
    ctx = video.codec_context
    return Declared(len(container.streams), ctx.width, ctx.height, duration, float(rate) if rate else None,
                    video.frames or None)


def _checked(frame: av.VideoFrame, limits: MediaLimits) -> av.VideoFrame:
    """The frame, if its real size is within the limits (headers can lie; a decoded frame cannot)."""
    reason = limits.frame_too_large(frame.width, frame.height)
    if reason is not None:
        raise Refused(reason)
    return frame


def probe(path: Path, limits: MediaLimits) -> MediaInfo:
    """Duration, displayed size, frame rate and whether there is sound."""
    with _reading(path, limits) as container:
        return _info(container, path.stat().st_size)


def _info(container: av.container.InputContainer, size: int) -> MediaInfo:
    if not container.streams.video:
        raise Undecodable("no video stream")
    video = container.streams.video[0]
    ctx = video.codec_context
    width, height = ctx.width, ctx.height
    sar = video.sample_aspect_ratio
    if sar and sar != 1:
        width = round(width * sar)
    duration = 0.0
    if container.duration is not None:
        duration = container.duration / av.time_base
    elif video.duration is not None and video.time_base is not None:
        duration = float(video.duration * video.time_base)
    rate = video.average_rate or video.guessed_rate
    fps = float(rate) if rate else 0.0
    return MediaInfo(duration, width, height, fps, bool(container.streams.audio), size)


def encode(source: Path, target: Path, plan: EncodePlan, limits: MediaLimits) -> None:
    """Re-encode `source` into `target` (H.264 + AAC in MP4, index first) following `plan`.

    Timestamps are carried over from the source, so the duration and the pacing stay exactly as they were.
    """
    too_large = limits.frame_too_large(plan.width, plan.height)
    if too_large is not None:
        raise Refused(f"the plan asks for {too_large}")
    with _reading(source, limits) as inp, av.open(
        str(target), "w", format="mp4", options={"movflags": "+faststart"}
    ) as out:
        vin = inp.streams.video[0]
        ain = inp.streams.audio[0] if plan.audio_bitrate and inp.streams.audio else None
        vout = _video_out(out, vin, plan)
        audio = _AudioOut(out, ain, plan.audio_bitrate) if ain is not None else None
        streams: list[av.stream.Stream] = [vin] if ain is None else [vin, ain]
        for packet in inp.demux(streams):
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    picture = _checked(frame, limits).reformat(
                        width=plan.width, height=plan.height, format="yuv420p", interpolation="AREA"
                    )
                    out.mux(vout.encode(picture))
                elif isinstance(frame, av.AudioFrame) and audio is not None:
                    audio.add(frame)
        out.mux(vout.encode(None))
        if audio is not None:
            audio.add(None)


def _video_out(out: av.container.OutputContainer, vin: av.VideoStream, plan: EncodePlan) -> av.VideoStream:
    vout = out.add_stream("libx264", rate=vin.average_rate or vin.guessed_rate or Fraction(30))
    vout.width, vout.height, vout.pix_fmt = plan.width, plan.height, "yuv420p"
    if vin.time_base is not None:  # the source's clock, so its timestamps go through unchanged
        vout.time_base = vin.time_base
        vout.codec_context.time_base = vin.time_base
    vout.bit_rate = plan.video_bitrate
    vout.codec_context.thread_count = ENCODER_THREADS
    # A tight VBV (peaks at most 25 % over the average, one second of buffer) keeps one-pass rate control
    # on budget: with a loose one, busy footage came out up to 18 % over its target in the bench.
    vout.options = {
        **X264_OPTIONS,
        "maxrate": str(plan.video_bitrate * 5 // 4),
        "bufsize": str(plan.video_bitrate),
    }
    return vout


class _AudioOut:
    """AAC at the plan's rate, resampled from whatever the source has (AAC takes planar float)."""

    def __init__(self, out: av.container.OutputContainer, ain: av.AudioStream, bitrate: int) -> None:
        rate = ain.rate if ain.rate in _AAC_RATES else 48_000
        layout = "mono" if ain.layout.nb_channels == 1 else "stereo"
        self._out = out
        self._stream = out.add_stream("aac", rate=rate)
        self._stream.layout = layout
        self._stream.bit_rate = bitrate
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)

    def add(self, frame: av.AudioFrame | None) -> None:
        """Encode one decoded frame; None flushes the resampler and the encoder."""
        for chunk in self._resampler.resample(frame):
            self._out.mux(self._stream.encode(chunk))
        if frame is None:
            self._out.mux(self._stream.encode(None))


_AAC_RATES: Final = frozenset({96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000})


def poster(source: Path, target: Path, limits: MediaLimits) -> tuple[int, int]:
    """Write a JPEG of the frame about a second in (or the middle of a shorter video); return its size."""
    with _reading(source, limits) as inp:
        video = inp.streams.video[0]
        duration = _info(inp, 0).duration
        at = min(POSTER_AT, duration / 2) if duration > 0 else 0.0
        picked = None
        for frame in inp.decode(video):
            picked = _checked(frame, limits)
            if frame.time is not None and frame.time >= at:
                break
    if picked is None:
        raise Undecodable("no frame could be decoded")
    width, height = picked.width, picked.height
    if max(width, height) > POSTER_MAX_SIDE:
        scale = POSTER_MAX_SIDE / max(width, height)
        width, height = 2 * round(width * scale / 2), 2 * round(height * scale / 2)
    image = picked.reformat(width=width, height=height, format="yuvj420p", interpolation="AREA")
    jpeg = av.CodecContext.create("mjpeg", "w")
    jpeg.width, jpeg.height, jpeg.pix_fmt = width, height, "yuvj420p"
    jpeg.time_base = Fraction(1, 25)
    jpeg.options = {"qmin": str(POSTER_QUALITY), "qmax": str(POSTER_QUALITY)}
    packets = [*jpeg.encode(image), *jpeg.encode(None)]
    target.write_bytes(b"".join(bytes(p) for p in packets))
    return width, height
