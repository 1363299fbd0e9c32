"""Passes over the IR that every target shares: identifiers, schedule checks,
canonical-signed-digit constants, widths.  Plain functions of the IR and options."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Literal

from model import DatapathWidths as DatapathWidths
from model import DeploymentIR, FlowError, datapath_widths

Datapath = Literal["hadamard", "dense"]
DATAPATHS: tuple[str, ...] = ("hadamard", "dense")
MAX_INTERLEAVE = 64

_CPP_RESERVED = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t
    char32_t class compl const constexpr const_cast continue decltype default delete do double
    dynamic_cast else enum explicit export extern false float for friend goto if inline int long
    mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast return short signed sizeof static static_assert static_cast struct
    switch template this thread_local throw true try typedef typeid typename union unsigned using
    virtual void volatile wchar_t while xor xor_eq module input output wire reg logic begin end
    always assign initial parameter localparam generate endmodule""".split()
)


@dataclass(frozen=True, kw_only=True)
class EmitOptions:
    """Everything besides the IR that decides the generated text."""

    target: str
    fold: int = 1
    interleave: int = 1
    part: str = "xc7z020clg400-1"
    clock_ns: float = 10.0
    datapath: Datapath = "hadamard"
    tb_sequences: int = 16
    tb_steps: int | None = None
    tb_seed: int = 0


def sanitize_identifier(name: str, *, prefix: str = "hrnn") -> str:
    """A valid C++/Verilog identifier derived from ``name``; never injects text.

    Characters other than [A-Za-z0-9_] become '_', a leading digit or a reserved
    word gets ``prefix_`` in front, and the result is lower case.
    """
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_").lower() or prefix
    ident = re.sub(r"_+", "_", ident)
    if ident[0].isdigit() or ident in _CPP_RESERVED or keyword.iskeyword(ident):
        ident = f"{prefix}_{ident}"
    return ident[:48]


def valid_folds(ir: DeploymentIR) -> list[int]:
    """Fold factors F: powers of two dividing the hidden/2 butterflies of a stage."""
    half = max(ir.hidden // 2, 1)
    return [f for f in (1 << i for i in range(half.bit_length())) if half % f == 0]


def check_schedule(ir: DeploymentIR, options: EmitOptions) -> None:
    """Reject a fold or interleave the datapath cannot implement."""
    folds = valid_folds(ir)
    if options.fold not in folds:
        raise FlowError(
            f"--fold {options.fold} does not divide the {max(ir.hidden // 2, 1)} butterflies "
            f"of a stage (hidden/2); valid folds: {', '.join(map(str, folds))}")
    if not 1 <= options.interleave <= MAX_INTERLEAVE:
        raise FlowError(
            f"--interleave {options.interleave} must be in [1, {MAX_INTERLEAVE}]")
    if options.datapath not in DATAPATHS:
        raise FlowError(
            f"--datapath {options.datapath!r} is unknown; valid: {', '.join(DATAPATHS)}")
    if not 0.5 <= options.clock_ns <= 1000:
        raise FlowError(f"--clock-ns {options.clock_ns} must be in [0.5, 1000]")


def csd(value: int) -> list[tuple[int, int]]:
    """Canonical signed-digit (non-adjacent form) digits of ``value``.

    Returns ``[(shift, sign), ...]`` with sign in {+1, -1}, lowest shift first,
    such that ``value == sum(sign << shift)`` and no two shifts are adjacent.
    Zero gives ``[]``: a zero weight produces no hardware.
    """
    digits: list[tuple[int, int]] = []
    v, shift = int(value), 0
    while v != 0:
        if v & 1:
            d = 2 - (v & 3)  # +1 when v = 1 (mod 4), -1 when v = 3 (mod 4)
            digits.append((shift, d))
            v -= d
        v >>= 1
        shift += 1
    return digits


def csd_adders(value: int) -> int:
    """Adders/subtractors a CSD shift-add multiplication by ``value`` needs."""
    return max(len(csd(value)) - 1, 0)


def widths(ir: DeploymentIR) -> DatapathWidths:
    """Widths of every intermediate (see model/_widths.py)."""
    return datapath_widths(ir)
