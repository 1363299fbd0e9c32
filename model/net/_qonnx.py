"""The QONNX export of a trained module: its IR's step graph (``model._qonnx``
builds it from the IR, and reads it back), written and run by qonnx."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import torch

from .._errors import FlowError
from .._qonnx import ir_to_qonnx
from ._export import to_ir
from ._module import HadamRNN


@torch.no_grad()
def build_qonnx(net: HadamRNN, *, batch: int = 1) -> onnx.ModelProto:
    """The step graph of a hardware-exact module (the IR's arithmetic)."""
    if not net.hardware_exact:
        raise FlowError("QONNX export needs the hardware-exact model")
    return ir_to_qonnx(to_ir(net), batch=batch)


def save_qonnx(net: HadamRNN, path: str | os.PathLike[str]) -> Path:
    """Write the step graph to ``path`` atomically."""
    from .._files import atomic_write

    model = build_qonnx(net)
    out = Path(path)
    atomic_write(out, model.SerializeToString())
    return out


def run_qonnx(model: onnx.ModelProto | str | os.PathLike[str], x_t: np.ndarray,
              h_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Execute the step with qonnx's ``execute_onnx``; real values in, (h_t, y_t) out."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    wrapper = ModelWrapper(model if isinstance(model, onnx.ModelProto) else str(model))
    out = execute_onnx(wrapper, {"x_t": np.asarray(x_t, dtype=np.float64),
                                 "h_prev": np.asarray(h_prev, dtype=np.float64)})
    return out["h_t"], out["y_t"]
