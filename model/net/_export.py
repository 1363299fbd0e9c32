"""Between the torch module and the deployment IR: ``to_ir`` and ``from_ir``."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._errors import FlowError
from .._files import atomic_write
from .._fixed import FixedFormat
from .._ir import DeploymentIR
from ._module import OUTPUT_BIAS_BOUND, HadamRNN, NetConfig
from ._quant import weight_ints_frac

EMBEDDING_NPZ = "embedding.npz"


def _grid_ints(values: torch.Tensor, frac: int, bound: int) -> np.ndarray:
    v = values.detach().to(torch.float64).numpy()
    return np.clip(np.floor(v * 2.0**frac + 0.5), -bound, bound).astype(np.int64)


@torch.no_grad()
def to_ir(module: HadamRNN, *, name: str = "hadamrnn", meta: dict[str, Any] | None = None
          ) -> DeploymentIR:
    """The module's quantized parameters as a validated :class:`model.DeploymentIR`.

    The integers are the ones the hardware-exact forward uses (Brevitas' int
    weights, the state bias on the state grid, the output bias on 2**-output_frac).
    """
    cfg = module.config
    u_int, u_frac = weight_ints_frac(module.input, cfg.weight_bits)
    v_int, v_frac = weight_ints_frac(module.output, cfg.weight_bits)
    st = cfg.state_format
    return DeploymentIR(
        name=name,
        hidden=cfg.hidden,
        block_size=cfg.block_size,
        input_dim=cfg.input_dim,
        outputs=cfg.outputs,
        readout=cfg.readout,  # type: ignore[arg-type]
        input_format=cfg.input_format,
        state_format=st,
        state_rounding=cfg.state_rounding,
        input_weight_bits=cfg.weight_bits,
        input_weight_frac=u_frac,
        output_weight_bits=cfg.weight_bits,
        output_weight_frac=v_frac,
        inv_sqrt2_frac=cfg.inv_sqrt2_frac,
        sign=module.integer_sign(),
        input_weight=u_int.numpy(),
        state_bias=_grid_ints(module.state_bias, st.frac, (1 << (st.width - 1)) - 1),
        output_weight=v_int.numpy(),
        output_bias=_grid_ints(module.output_bias, v_frac + st.frac, OUTPUT_BIAS_BOUND),
        meta=dict(meta or {}),
    )


@torch.no_grad()
def from_ir(ir: DeploymentIR, *, vocab: int | None = None) -> HadamRNN:
    """A hardware-exact module whose quantized parameters are exactly the IR's."""
    cfg = NetConfig(
        input_dim=ir.input_dim, hidden=ir.hidden, outputs=ir.outputs,
        block_size=ir.block_size, readout=ir.readout,
        weight_bits=ir.input_weight_bits, input_format=ir.input_format,
        state_format=ir.state_format, state_rounding=ir.state_rounding,
        inv_sqrt2_frac=ir.inv_sqrt2_frac, hardware_exact=True, vocab=vocab,
        input_weight_frac=ir.input_weight_frac, output_weight_frac=ir.output_weight_frac)
    if ir.output_weight_bits != ir.input_weight_bits:
        raise FlowError("the torch model uses one weight width for U and V; the IR has "
                        f"{ir.input_weight_bits} and {ir.output_weight_bits}")
    module = HadamRNN(config=cfg)
    module.u.copy_(torch.tensor(np.array(ir.sign), dtype=torch.float32).reshape(-1, 1))
    module.input.weight.copy_(torch.as_tensor(ir.input_weight * 2.0**-ir.input_weight_frac))
    module.output.weight.copy_(
        torch.as_tensor(ir.output_weight * 2.0**-ir.output_weight_frac))
    module.state_bias.copy_(torch.as_tensor(ir.state_bias * 2.0**-ir.state_format.frac))
    module.output_bias.copy_(torch.as_tensor(ir.output_bias * 2.0**-ir.output_frac))
    # the (float64) bias parameters hold the IR's values exactly
    for got, want, what in (
        (module.state_bias, ir.state_bias * 2.0**-ir.state_format.frac, "state_bias"),
        (module.output_bias, ir.output_bias * 2.0**-ir.output_frac, "output_bias"),
    ):
        if not np.array_equal(got.double().numpy(), want):
            raise FlowError(f"{what}: values need more than float64 precision")
    return module


def exact_copy(module: HadamRNN) -> HadamRNN:
    """``module`` itself when hardware-exact, else a copy switched to the
    hardware-exact forward (a float-state model's integer twin)."""
    if module.hardware_exact:
        return module
    clone = HadamRNN(config=replace(module.config, hardware_exact=True))
    clone.load_state_dict(module.state_dict())
    return clone


@torch.no_grad()
def embedding_table(module: HadamRNN) -> tuple[np.ndarray, FixedFormat]:
    """The embedding as integers in ``input_format`` (what the hardware is fed)."""
    if module.embedding is None:
        raise FlowError("this model has no embedding (not a token task)")
    fmt = module.config.input_format
    w = module.embedding.weight.detach().to(torch.float64).numpy()
    q = np.clip(np.floor(w * 2.0**fmt.frac + 0.5), fmt.min_int, fmt.max_int)
    return q.astype(np.int64), fmt


def save_embedding(module: HadamRNN, folder: str | os.PathLike[str]) -> Path:
    """Write ``embedding.npz`` (table, width, frac, signed) atomically into ``folder``."""
    import io

    table, fmt = embedding_table(module)
    path = Path(folder) / EMBEDDING_NPZ
    buf = io.BytesIO()
    np.savez(buf, table=table, width=fmt.width, frac=fmt.frac, signed=fmt.signed)
    atomic_write(path, buf.getvalue())
    return path
