"""Fixed-point formats and the integer primitives every stage of the flow shares.

A value ``v`` in format ``FixedFormat(width=W, frac=F, signed=True)`` is stored as
the integer ``q`` with ``v = q * 2**-F`` and ``-2**(W-1) <= q <= 2**(W-1) - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Rounding = Literal["floor", "half_up"]
ROUNDINGS: tuple[str, ...] = ("floor", "half_up")
OVERFLOWS: tuple[str, ...] = ("saturate",)


@dataclass(frozen=True, kw_only=True)
class FixedFormat:
    """A fixed-point format: total width in bits, fraction bits, signedness."""

    width: int
    frac: int
    signed: bool = True

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def max_abs(self) -> int:
        return max(-self.min_int, self.max_int)

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac

    def to_json(self) -> dict[str, int | bool]:
        return {"width": self.width, "frac": self.frac, "signed": self.signed}


def signed_bits(lo: int, hi: int) -> int:
    """Smallest two's-complement width that holds every integer in [lo, hi]."""
    lo, hi = int(lo), int(hi)
    if lo > hi:
        raise ValueError(f"empty range [{lo}, {hi}]")
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def bits_for_magnitude(bound: int) -> int:
    """Signed width that holds every integer in [-bound, bound]."""
    return signed_bits(-int(bound), int(bound))


def shift_round(acc: np.ndarray, shift: int, rounding: Rounding) -> np.ndarray:
    """Divide integers by ``2**shift`` with the given rounding (arithmetic shifts only).

    ``floor``: ``acc >> shift``.  ``half_up``: ``(acc + 2**(shift-1)) >> shift``,
    i.e. round half toward plus infinity.  ``shift == 0`` returns ``acc`` unchanged.
    """
    if shift < 0:
        raise ValueError(f"shift must be >= 0, got {shift}")
    if shift == 0:
        return acc
    if rounding == "half_up":
        acc = acc + (np.int64(1) << np.int64(shift - 1))
    elif rounding != "floor":
        raise ValueError(f"unknown rounding {rounding!r}")
    return acc >> np.int64(shift)


def saturate_symmetric(q: np.ndarray, width: int) -> np.ndarray:
    """Clamp to the symmetric range ``[-(2**(width-1) - 1), 2**(width-1) - 1]``."""
    bound = (1 << (width - 1)) - 1
    return np.clip(q, -bound, bound)


def quantize(x: np.ndarray, fmt: FixedFormat, rounding: Rounding = "half_up") -> np.ndarray:
    """Real values to integers of ``fmt``: scale, round, saturate to the format's range.

    Used for inputs that arrive as real numbers (pixels, embeddings).  Exact for
    inputs that are already multiples of the format's lsb.
    """
    scaled = np.asarray(x, dtype=np.float64) * (2.0**fmt.frac)
    q = np.floor(scaled + 0.5) if rounding == "half_up" else np.floor(scaled)
    return np.clip(q, fmt.min_int, fmt.max_int).astype(np.int64)


def inv_sqrt2_constant(frac: int) -> int:
    """``round_half_up(2**frac / sqrt(2))``: the integer that stands for 1/sqrt(2).

    Computed with integers only (no float rounding): the largest q with
    ``q**2 <= 2**(2*frac-1)`` is floor(2**frac/sqrt 2); round half up by comparing
    ``(2q+1)**2`` with ``2**(2*frac+1)``.
    """
    from math import isqrt

    target = 1 << (2 * frac - 1)
    q = isqrt(target)
    if (2 * q + 1) ** 2 <= 4 * target:
        q += 1
    return q
