"""Bit widths of every intermediate value of the datapath, computed by interval
arithmetic from the formats and the actual integer weights.  Never guessed.

The HLS and RTL generators size their signals from :func:`datapath_widths`; the
reference tests assert that every intermediate stays inside them.  See docs/arithmetic.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._fixed import bits_for_magnitude

if TYPE_CHECKING:
    from ._ir import DeploymentIR


@dataclass(frozen=True, kw_only=True)
class DatapathWidths:
    """Signed widths in bits (all values two's complement)."""

    state: int                  #: h_{t-1}, S bits, symmetric range
    stages: tuple[int, ...]     #: output of FWHT stage 1..k: S + j bits
    recurrent: int              #: after sign fold (and the 1/sqrt(2) product when k is odd)
    input_product: int          #: U x_t, the widest row
    acc: int                    #: the sum before rounding to the state format
    relu: int                   #: relu(h_t), unsigned S-1 bits (as a signed width: S)
    output: int                 #: y_t = V relu(h_t) + c, the widest output
    recurrent_bound: int        #: largest |recurrent term| in acc units before alignment
    input_bound: int            #: largest |U x| of any row, in its own units
    acc_bound: int              #: largest |acc| in acc units
    output_bound: int           #: largest |y|


def datapath_widths(ir: DeploymentIR) -> DatapathWidths:
    S = ir.state_format.width
    hmax = ir.state_max
    k = ir.log2_block
    stages = tuple(S + j for j in range(1, k + 1))
    rec_bound = (1 << k) * hmax
    if ir.odd_log2:
        rec_bound *= ir.inv_sqrt2
    xmax = ir.input_format.max_abs
    u = np.abs(np.asarray(ir.input_weight, dtype=np.int64))
    in_bound = int(u.sum(axis=1).max()) * xmax if u.size else 0
    b = np.abs(np.asarray(ir.state_bias, dtype=np.int64))
    # Per row: the recurrent, input and bias terms aligned to acc_frac.
    sh_rec = ir.acc_frac - ir.recurrent_frac
    sh_in = ir.acc_frac - ir.input_frac
    sh_b = ir.acc_frac - ir.state_format.frac
    row_in = u.sum(axis=1) * xmax if u.size else np.zeros(ir.hidden, dtype=np.int64)
    acc_rows = (rec_bound << sh_rec) + (row_in.astype(object) * (1 << sh_in)) + (
        b.astype(object) * (1 << sh_b))
    acc_bound = int(max(acc_rows))
    v = np.abs(np.asarray(ir.output_weight, dtype=np.int64)).astype(object)
    c = np.abs(np.asarray(ir.output_bias, dtype=np.int64)).astype(object)
    out_bound = int(max(v.sum(axis=1) * hmax + c))
    return DatapathWidths(
        state=S,
        stages=stages,
        recurrent=bits_for_magnitude(rec_bound),
        input_product=bits_for_magnitude(in_bound),
        acc=bits_for_magnitude(acc_bound),
        relu=S,
        output=bits_for_magnitude(out_bound),
        recurrent_bound=rec_bound,
        input_bound=in_bound,
        acc_bound=acc_bound,
        output_bound=out_bound,
    )
