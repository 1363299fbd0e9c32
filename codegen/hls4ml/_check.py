"""Exact models of what an hls4ml project computes around the HadamRNN layer, for
bit-exact checks: ``ap_fixed`` casts (AP_TRN, AP_WRAP) and hls4ml's io_parallel
``Dense`` (the latency implementation, ``nnet_dense_latency.h``).  Plain Python
integers, so no width limits the model itself."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import FlowError


@dataclass(frozen=True)
class Fixed:
    """``ap_fixed<width, integer>`` (or ``ap_ufixed``) with hls4ml's default modes,
    AP_TRN (toward minus infinity) and AP_WRAP.  A value is an integer ``q`` in
    units of ``2^-frac``."""

    width: int
    integer: int
    signed: bool = True

    def __post_init__(self) -> None:
        if self.width < 1:
            raise FlowError(f"fixed-point width must be >= 1, got {self.width}")

    @property
    def frac(self) -> int:
        return self.width - self.integer

    def __str__(self) -> str:
        return f"ap_{'' if self.signed else 'u'}fixed<{self.width},{self.integer}>"

    def cast(self, q: int, frac: int) -> int:
        """The value ``q * 2^-frac`` assigned to this type, in units of ``2^-self.frac``."""
        q = int(q)
        v = q << (self.frac - frac) if self.frac >= frac else q >> (frac - self.frac)
        v &= (1 << self.width) - 1
        if self.signed and v >> (self.width - 1):
            v -= 1 << self.width
        return v


def to_grid(values: np.ndarray, frac: int) -> np.ndarray:
    """Integers ``q`` with ``values == q * 2^-frac``; refuses values off that grid."""
    q = np.asarray(values, dtype=np.float64) * float(2 ** frac)
    if not np.all(np.isfinite(q)) or np.any(q != np.round(q)):
        raise FlowError(f"values are not on the 2^-{frac} grid")
    return np.round(q).astype(object)


def dense_reference(x: np.ndarray, x_frac: int, weight: np.ndarray, bias: np.ndarray, *,
                    weight_t: Fixed, bias_t: Fixed, accum_t: Fixed, result_t: Fixed
                    ) -> np.ndarray:
    """hls4ml's ``Dense`` (io_parallel, latency) on integer inputs.

    ``x``: (batch, n_in) integers in units of ``2^-x_frac``; ``weight`` (n_out, n_in)
    and ``bias`` (n_out,) are the PyTorch parameters as integers in units of
    ``2^-weight_t.frac`` and ``2^-bias_t.frac`` (values the types hold exactly).
    Each product is formed exactly and assigned to ``accum_t``; the accumulator
    starts at the bias cast to ``accum_t`` and adds the products in ``accum_t``
    (wrapping); the sum is cast to ``result_t``.  Returns (batch, n_out) integers
    in units of ``2^-result_t.frac``.
    """
    xs = np.asarray(x, dtype=object)
    w = np.asarray(weight, dtype=object)
    b = np.asarray(bias, dtype=object)
    for label, values, t in (("weight", w, weight_t), ("bias", b, bias_t)):
        if any(t.cast(v, t.frac) != v for v in values.flat):
            raise FlowError(f"a {label} value does not fit {t}")
    p_frac = x_frac + weight_t.frac
    shift = accum_t.frac - p_frac
    prod = xs[:, None, :] * w[None, :, :]                  # exact products
    prod = prod << shift if shift >= 0 else prod >> -shift  # AP_TRN into accum_t
    bias_acc = np.array([accum_t.cast(v, bias_t.frac) for v in b], dtype=object)
    # Sums of accum_t values need no rounding (one grid), and AP_WRAP is reduction
    # modulo 2^width: wrapping once at the end equals wrapping after every add.
    acc = prod.sum(axis=2) + bias_acc[None, :]
    wrap = np.frompyfunc(lambda v: accum_t.cast(v, accum_t.frac), 1, 1)
    to_result = np.frompyfunc(lambda v: result_t.cast(v, accum_t.frac), 1, 1)
    return np.asarray(to_result(wrap(acc)), dtype=object)
