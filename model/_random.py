"""Random but valid IRs, so hardware work and tests need no training run."""

from __future__ import annotations

import numpy as np

from ._fixed import FixedFormat
from ._ir import MAX_OUTPUT_BIAS, DeploymentIR, IRError, Readout


def random_ir(
    *,
    hidden: int,
    block_size: int | None = None,
    input_dim: int,
    outputs: int,
    readout: Readout = "every",
    seed: int = 0,
    input_format: FixedFormat | None = None,
    state_format: FixedFormat | None = None,
    state_rounding: str = "half_up",
    weight_bits: int = 4,
    weight_frac: int | None = None,
    inv_sqrt2_frac: int = 16,
    zero_fraction: float = 0.2,
    name: str | None = None,
) -> DeploymentIR:
    """Draw signs, p-bit U and V, and biases uniformly; ``zero_fraction`` of the
    weights are forced to zero so that zero-weight pruning is exercised."""
    for label, value in (("hidden", hidden), ("input_dim", input_dim), ("outputs", outputs)):
        if value < 1:
            raise IRError(f"{label}: must be >= 1, got {value}")
    if block_size is not None and block_size < 1:
        raise IRError(f"block_size: must be >= 1, got {block_size}")
    if not 2 <= weight_bits <= 16:
        raise IRError(f"weight_bits: must be in [2, 16], got {weight_bits}")
    rng = np.random.default_rng(seed)
    block = hidden if block_size is None else block_size
    in_fmt = input_format or FixedFormat(width=8, frac=6, signed=True)
    st_fmt = state_format or FixedFormat(width=16, frac=10, signed=True)
    q = (1 << (weight_bits - 1)) - 1
    frac = weight_bits - 1 if weight_frac is None else weight_frac

    def weights(shape: tuple[int, ...]) -> np.ndarray:
        w = rng.integers(-q, q + 1, size=shape)
        return np.where(rng.random(shape) < zero_fraction, 0, w)

    smax = (1 << (st_fmt.width - 1)) - 1
    one = 1 << max(st_fmt.frac, 0)
    bias_bound = min(smax, max(1, one // 4))
    out_frac = frac + st_fmt.frac
    # c is on the output's grid (2^-out_frac): draw it in [-1, 1], inside the IR's range.
    c_bound = min(1 << max(out_frac, 0), MAX_OUTPUT_BIAS)
    return DeploymentIR(
        name=name or f"random_n{hidden}_m{block}_s{seed}",
        hidden=hidden,
        block_size=block,
        input_dim=input_dim,
        outputs=outputs,
        readout=readout,
        input_format=in_fmt,
        state_format=st_fmt,
        state_rounding=state_rounding,
        input_weight_bits=weight_bits,
        input_weight_frac=frac,
        output_weight_bits=weight_bits,
        output_weight_frac=frac,
        inv_sqrt2_frac=inv_sqrt2_frac,
        sign=rng.choice(np.array([-1, 1]), size=hidden),
        input_weight=weights((hidden, input_dim)),
        state_bias=rng.integers(-bias_bound, bias_bound + 1, size=hidden),
        output_weight=weights((outputs, hidden)),
        output_bias=rng.integers(-c_bound, c_bound + 1, size=outputs),
        meta={"source": "random", "seed": seed},
    )


def random_inputs(
    ir: DeploymentIR, *, batch: int, steps: int, seed: int = 0, extreme: bool = False
) -> np.ndarray:
    """Integer inputs in ``ir.input_format``; ``extreme`` draws only the two ends of
    the range, which drives the state into saturation."""
    rng = np.random.default_rng(seed)
    fmt = ir.input_format
    shape = (batch, steps, ir.input_dim)
    if extreme:
        return rng.choice(np.array([fmt.min_int, fmt.max_int]), size=shape).astype(np.int64)
    return rng.integers(fmt.min_int, fmt.max_int + 1, size=shape, dtype=np.int64)


#: One test sequence in this many draws only the two ends of the input range.
EXTREME_EVERY = 4


def tb_inputs(
    ir: DeploymentIR, *, count: int, steps: int, seed: int = 0, first: int = 0
) -> np.ndarray:
    """Test-bench sequences, shape (count, steps, input_dim): uniform draws, except
    that sequence ``first + i`` with ``(first + i) % EXTREME_EVERY == 0`` draws only
    the two ends of the range, driving the state into saturation."""
    x = random_inputs(ir, batch=count, steps=steps, seed=seed)
    extreme = random_inputs(ir, batch=count, steps=steps, seed=seed + 1, extreme=True)
    mask = (np.arange(first, first + count) % EXTREME_EVERY) == 0
    x[mask] = extreme[mask]
    return x
