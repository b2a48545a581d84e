"""A tiny H.264 (Constrained Baseline) encoder, written from the ITU-T H.264 syntax tables, that needs no
codec library: every macroblock that changes is sent uncompressed (I_PCM) and every other one is skipped
(P_Skip copies it from the previous frame). Browsers decode it like any other H.264 stream, so the
playground's simulated videos really play.

Planes are 4:2:0, 8 bits: ``luma`` is width×height bytes, ``cb``/``cr`` are (width/2)×(height/2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

MB = 16  # macroblock size in luma samples
PROFILE_BASELINE = 66
CONSTRAINED_BASELINE_FLAGS = 0xC0  # constraint_set0_flag and constraint_set1_flag
LEVEL = 30  # 3.0: far above what these small clips need
LOG2_MAX_FRAME_NUM = 8
I_PCM_IN_I_SLICE = 25
I_PCM_IN_P_SLICE = 5 + I_PCM_IN_I_SLICE  # P slices number their intra types after the five inter ones
SLICE_P, SLICE_I = 0, 2
NAL_SPS, NAL_PPS, NAL_IDR, NAL_SLICE = 7, 8, 5, 1
NAL_REF_IDC = 3  # every frame is a reference for the next one


@dataclasses.dataclass(frozen=True)
class Planes:
    """One frame as Y, Cb and Cr sample planes."""

    width: int
    height: int
    luma: bytes
    cb: bytes
    cr: bytes

    def macroblock(self, mbx: int, mby: int) -> bytes:
        """The 384 samples of one macroblock in I_PCM order: 16×16 luma, then 8×8 Cb, then 8×8 Cr."""
        out = bytearray()
        for row in range(mby * MB, mby * MB + MB):
            start = row * self.width + mbx * MB
            out += self.luma[start : start + MB]
        half = self.width // 2
        for plane in (self.cb, self.cr):
            for row in range(mby * 8, mby * 8 + 8):
                start = row * half + mbx * 8
                out += plane[start : start + 8]
        return bytes(out)


class BitWriter:
    """Writes the fixed-length and Exp-Golomb fields of an RBSP, most significant bit first."""

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._acc = 0
        self._bits = 0

    def u(self, bits: int, value: int) -> None:
        """An unsigned field of ``bits`` bits."""
        for shift in range(bits - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> shift) & 1)
            self._bits += 1
            if self._bits == 8:
                self._bytes.append(self._acc)
                self._acc, self._bits = 0, 0

    def ue(self, value: int) -> None:
        """ue(v): Exp-Golomb code of an unsigned value."""
        code = value + 1
        length = code.bit_length()
        self.u(length - 1, 0)
        self.u(length, code)

    def se(self, value: int) -> None:
        """se(v): positive values map to odd codes, the others to even ones."""
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        """pcm_alignment_zero_bit until the next byte boundary."""
        if self._bits:
            self.u(8 - self._bits, 0)

    def raw(self, data: bytes) -> None:
        """Bytes written as they are (only at a byte boundary)."""
        assert self._bits == 0
        self._bytes += data

    def trailing(self) -> bytes:
        """rbsp_trailing_bits: a stop bit, then zeros to the boundary; returns the RBSP."""
        self.u(1, 1)
        self.align_zero()
        return bytes(self._bytes)


def nal_unit(nal_type: int, rbsp: bytes) -> bytes:
    """A NAL unit: header byte, then the RBSP with emulation prevention (00 00 0x → 00 00 03 0x, x ≤ 3)."""
    out = bytearray([(NAL_REF_IDC << 5) | nal_type])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def sequence_parameter_set(width: int, height: int, fps: int) -> bytes:
    """SPS: Constrained Baseline, frame_num-ordered output (POC type 2), one reference frame, and a VUI
    saying frames come out at once (no reordering) at ``fps``."""
    w = BitWriter()
    w.u(8, PROFILE_BASELINE)
    w.u(8, CONSTRAINED_BASELINE_FLAGS)
    w.u(8, LEVEL)
    w.ue(0)  # seq_parameter_set_id
    w.ue(LOG2_MAX_FRAME_NUM - 4)
    w.ue(2)  # pic_order_cnt_type
    w.ue(1)  # max_num_ref_frames
    w.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    w.ue(width // MB - 1)
    w.ue(height // MB - 1)
    w.u(1, 1)  # frame_mbs_only_flag
    w.u(1, 1)  # direct_8x8_inference_flag
    w.u(1, 0)  # frame_cropping_flag
    w.u(1, 1)  # vui_parameters_present_flag
    w.u(1, 0)  # aspect_ratio_info_present_flag
    w.u(1, 0)  # overscan_info_present_flag
    w.u(1, 0)  # video_signal_type_present_flag
    w.u(1, 0)  # chroma_loc_info_present_flag
    w.u(1, 1)  # timing_info_present_flag
    w.u(32, 1)  # num_units_in_tick
    w.u(32, 2 * fps)  # time_scale: two ticks per frame
    w.u(1, 1)  # fixed_frame_rate_flag
    w.u(1, 0)  # nal_hrd_parameters_present_flag
    w.u(1, 0)  # vcl_hrd_parameters_present_flag
    w.u(1, 0)  # pic_struct_present_flag
    w.u(1, 1)  # bitstream_restriction_flag
    w.u(1, 1)  # motion_vectors_over_pic_boundaries_flag
    w.ue(0)  # max_bytes_per_pic_denom: no limit (I_PCM frames are big)
    w.ue(0)  # max_bits_per_mb_denom: no limit
    w.ue(16)  # log2_max_mv_length_horizontal
    w.ue(16)  # log2_max_mv_length_vertical
    w.ue(0)  # max_num_reorder_frames
    w.ue(1)  # max_dec_frame_buffering
    return nal_unit(NAL_SPS, w.trailing())


def picture_parameter_set() -> bytes:
    """PPS: CAVLC, no weighted prediction, and deblocking switched off per slice (samples stay exact)."""
    w = BitWriter()
    w.ue(0)  # pic_parameter_set_id
    w.ue(0)  # seq_parameter_set_id
    w.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    w.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0)  # num_ref_idx_l0_default_active_minus1
    w.ue(0)  # num_ref_idx_l1_default_active_minus1
    w.u(1, 0)  # weighted_pred_flag
    w.u(2, 0)  # weighted_bipred_idc
    w.se(0)  # pic_init_qp_minus26
    w.se(0)  # pic_init_qs_minus26
    w.se(0)  # chroma_qp_index_offset
    w.u(1, 1)  # deblocking_filter_control_present_flag
    w.u(1, 0)  # constrained_intra_pred_flag
    w.u(1, 0)  # redundant_pic_cnt_present_flag
    return nal_unit(NAL_PPS, w.trailing())


def _slice_header(w: BitWriter, *, idr: bool, frame_num: int) -> None:
    w.ue(0)  # first_mb_in_slice
    w.ue(SLICE_I if idr else SLICE_P)
    w.ue(0)  # pic_parameter_set_id
    w.u(LOG2_MAX_FRAME_NUM, frame_num % (1 << LOG2_MAX_FRAME_NUM))
    if idr:
        w.ue(0)  # idr_pic_id
    else:
        w.u(1, 0)  # num_ref_idx_active_override_flag
        w.u(1, 0)  # ref_pic_list_modification_flag_l0
    if idr:
        w.u(1, 0)  # no_output_of_prior_pics_flag
        w.u(1, 0)  # long_term_reference_flag
    else:
        w.u(1, 0)  # adaptive_ref_pic_marking_mode_flag
    w.se(0)  # slice_qp_delta
    w.ue(1)  # disable_deblocking_filter_idc: off


def _pcm(w: BitWriter, mb_type: int, samples: bytes) -> None:
    w.ue(mb_type)
    w.align_zero()
    w.raw(samples)


def idr_frame(planes: Planes) -> bytes:
    """The first frame: every macroblock sent whole."""
    w = BitWriter()
    _slice_header(w, idr=True, frame_num=0)
    for mby in range(planes.height // MB):
        for mbx in range(planes.width // MB):
            _pcm(w, I_PCM_IN_I_SLICE, planes.macroblock(mbx, mby))
    return nal_unit(NAL_IDR, w.trailing())


def p_frame(planes: Planes, frame_num: int, changed: Iterable[tuple[int, int]]) -> bytes:
    """A later frame: the ``changed`` macroblocks (mbx, mby) sent whole, every other one skipped."""
    columns = planes.width // MB
    total = columns * (planes.height // MB)
    coded = sorted({mby * columns + mbx for mbx, mby in changed})
    w = BitWriter()
    _slice_header(w, idr=False, frame_num=frame_num)
    position = 0
    for address in coded:
        w.ue(address - position)  # mb_skip_run before this macroblock
        _pcm(w, I_PCM_IN_P_SLICE, planes.macroblock(address % columns, address // columns))
        position = address + 1
    if position < total or not coded:
        w.ue(total - position)  # the rest is skipped
    return nal_unit(NAL_SLICE, w.trailing())


def encode(frames: Sequence[Planes], changed: Sequence[Iterable[tuple[int, int]]]) -> list[bytes]:
    """One NAL unit per frame: an IDR frame, then P frames coding ``changed[i]`` for frame i ≥ 1."""
    first, rest = frames[0], frames[1:]
    if first.width % MB or first.height % MB:
        raise ValueError("width and height must be multiples of 16")
    return [idr_frame(first)] + [p_frame(f, i + 1, changed[i + 1]) for i, f in enumerate(rest)]
