"""Straight-through quantizers: the torch side of the fixed-point rules."""

from __future__ import annotations

import math

import torch
from brevitas.function.ops_ste import binary_sign_ste
from brevitas.inject.enum import ScalingImplType
from brevitas.nn import QuantLinear
from brevitas.quant import Int8WeightPerTensorFixedPoint

from .._fixed import FixedFormat


class PoTWeight(Int8WeightPerTensorFixedPoint):
    """p-bit narrow-range signed weights, per-tensor power-of-two scale from max|w|."""


class PoTWeightConst(Int8WeightPerTensorFixedPoint):
    """Same grid, but a fixed scale (``scaling_init`` is the threshold 2**(p-1) * scale)."""

    scaling_impl_type = ScalingImplType.CONST


def quant_linear(
    in_features: int, out_features: int, *, bits: int, frac: int | None
) -> QuantLinear:
    """A bias-free Brevitas layer on the p-bit power-of-two grid.

    ``frac=None``: the scale follows the weights (training).  An integer fixes the
    scale to ``2**-frac`` (a model rebuilt from an IR).
    """
    if frac is None:
        return QuantLinear(in_features, out_features, bias=False, weight_quant=PoTWeight,
                           weight_bit_width=bits)
    return QuantLinear(in_features, out_features, bias=False, weight_quant=PoTWeightConst,
                       weight_bit_width=bits,
                       weight_scaling_init=float(2.0 ** (bits - 1 - frac)))


def weight_ints_frac(layer: QuantLinear, bits: int) -> tuple[torch.Tensor, int]:
    """The layer's integer weights and their fraction bits (``-log2(scale)``).

    An all-zero tensor gets ``bits - 1`` fraction bits (any grid holds zero).
    """
    qw = layer.quant_weight()
    ints = qw.int().to(torch.int64)
    if not bool(ints.any()):
        return ints, bits - 1
    log2 = math.log2(float(qw.scale.detach().reshape(-1)[0]))
    frac = -round(log2)
    if abs(-frac - log2) > 1e-9:
        raise AssertionError(f"weight scale 2**{log2} is not a power of two")
    return ints, frac


def quant_weight_value(layer: QuantLinear, dtype: torch.dtype) -> torch.Tensor:
    """Fake-quantized weights (exact int * 2**-frac), differentiable via Brevitas' STE."""
    return layer.quant_weight().value.to(dtype)


def round_ste(x: torch.Tensor, rounding: str) -> torch.Tensor:
    """``floor(x + 1/2)`` (half_up) or ``floor(x)``, identity gradient.

    Exact in float64 for values on a power-of-two grid within 2**52.
    """
    r = torch.floor(x + 0.5) if rounding == "half_up" else torch.floor(x)
    return x + (r - x).detach()


def to_fixed(
    x: torch.Tensor, fmt: FixedFormat, *, rounding: str = "half_up", symmetric: bool = False
) -> torch.Tensor:
    """Round ``x`` onto ``fmt`` and saturate (symmetric range for the state); returns
    the real values ``q * 2**-frac``.  STE on the rounding, clamp gradient outside."""
    lo, hi = fmt.min_int, fmt.max_int
    if symmetric:
        lo = -hi
    q = round_ste(x * (2.0 ** fmt.frac), rounding)
    return torch.clamp(q, lo, hi) * (2.0 ** -fmt.frac)


def to_grid(x: torch.Tensor, frac: int, bound: int | None = None) -> torch.Tensor:
    """Round half up onto the grid ``2**-frac`` (optionally clamp to +-bound ints)."""
    q = round_ste(x * (2.0 ** frac), "half_up")
    if bound is not None:
        q = torch.clamp(q, -bound, bound)
    return q * (2.0 ** -frac)


def sign_ste(u: torch.Tensor) -> torch.Tensor:
    """sign(u) with sign(0) = +1, identity gradient."""
    return binary_sign_ste(u)
