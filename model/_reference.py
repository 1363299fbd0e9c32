"""The integer reference model: the single definition of the arithmetic.

Numpy only (no torch), vectorised over the batch, the recurrent product done as
a fast Walsh-Hadamard transform (never a dense matmul).  The Brevitas forward,
the HLS C++ and the RTL must equal it bit for bit.  docs/arithmetic.md states
the same rules in prose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._errors import FlowError
from ._fixed import saturate_symmetric, shift_round

if TYPE_CHECKING:
    from ._ir import DeploymentIR


def fwht_int(v: np.ndarray, block: int) -> np.ndarray:
    """Unnormalised Walsh-Hadamard transform of each length-``block`` block of the
    last axis: ``out = (I ⊗ S_block) v`` with Sylvester's S.

    log2(block) butterfly stages; stage s pairs element i with i + 2**s inside
    each group of 2**(s+1) and writes (a + b, a - b).
    """
    out = np.array(v, dtype=np.int64, copy=True)
    n = out.shape[-1]
    lead = out.shape[:-1]
    half = 1
    while half < block:
        grouped = out.reshape(*lead, n // (2 * half), 2, half)
        a = grouped[..., 0, :]
        b = grouped[..., 1, :]
        out = np.stack((a + b, a - b), axis=-2).reshape(*lead, n)
        half *= 2
    return out


def recurrent_term(ir: DeploymentIR, h: np.ndarray) -> np.ndarray:
    """``diag(sign) (I ⊗ S_m) h`` times the integer 1/sqrt(2) when log2(m) is odd.

    Result is in units of 2**-recurrent_frac (docs/arithmetic.md, step 2).
    """
    r = fwht_int(h, ir.block_size) * ir.sign
    if ir.odd_log2:
        r = r * np.int64(ir.inv_sqrt2)
    return r


def input_term(ir: DeploymentIR, x: np.ndarray) -> np.ndarray:
    """``U x`` in units of 2**-input_frac (exact)."""
    return np.asarray(x, dtype=np.int64) @ ir.input_weight.T


def accumulate(ir: DeploymentIR, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The pre-rounding sum in units of 2**-acc_frac."""
    F = ir.acc_frac
    rec = recurrent_term(ir, h) << np.int64(F - ir.recurrent_frac)
    inp = input_term(ir, x) << np.int64(F - ir.input_frac)
    bias = ir.state_bias << np.int64(F - ir.state_format.frac)
    return rec + inp + bias


def rounded(ir: DeploymentIR, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The step's sum rounded to the state's grid, before saturation."""
    acc = accumulate(ir, h, x)
    return shift_round(acc, ir.acc_frac - ir.state_format.frac, ir.state_rounding)  # type: ignore[arg-type]


def step(ir: DeploymentIR, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One time step: ``h_t = sat(round(acc >> (acc_frac - state_frac)))``."""
    return saturate_symmetric(rounded(ir, h, x), ir.state_format.width)


def readout(ir: DeploymentIR, h: np.ndarray) -> np.ndarray:
    """``y = V relu(h) + c`` in units of 2**-output_frac (exact, no narrowing)."""
    return np.maximum(h, 0) @ ir.output_weight.T + ir.output_bias


def check_inputs(ir: DeploymentIR, x: np.ndarray) -> np.ndarray:
    """Validate an integer input batch of shape (batch, steps, input_dim)."""
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != ir.input_dim:
        raise FlowError(
            f"inputs must have shape (batch, steps, {ir.input_dim}), got {x.shape}")
    if x.shape[1] < 1:
        raise FlowError("inputs must have at least one time step")
    if x.dtype.kind not in "iu":
        raise FlowError(f"inputs must be integers, got dtype {x.dtype}")
    fmt = ir.input_format
    if x.size and (x.min() < fmt.min_int or x.max() > fmt.max_int):
        raise FlowError(
            f"inputs must lie in [{fmt.min_int}, {fmt.max_int}] (input_format), "
            f"found [{x.min()}, {x.max()}]")
    return x.astype(np.int64)


def run(
    ir: DeploymentIR, x: np.ndarray, *, return_states: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Run whole sequences from ``h_0 = 0``.

    ``x``: integers, shape (batch, steps, input_dim), in ``ir.input_format``.
    Returns ``y`` of shape (batch, steps, outputs) for readout 'every', or
    (batch, outputs) for readout 'last'; with ``return_states`` also the states
    ``h_1..h_T`` of shape (batch, steps, hidden).
    """
    x = check_inputs(ir, x)
    batch, steps, _ = x.shape
    h = np.zeros((batch, ir.hidden), dtype=np.int64)
    states = np.empty((batch, steps, ir.hidden), dtype=np.int64) if return_states else None
    ys = []
    for t in range(steps):
        h = step(ir, h, x[:, t, :])
        if states is not None:
            states[:, t] = h
        if ir.readout == "every":
            ys.append(readout(ir, h))
    y = np.stack(ys, axis=1) if ir.readout == "every" else readout(ir, h)
    return (y, states) if states is not None else y
