"""The PyTorch module hls4ml users put in their models: a trained HadamRNN
(deployment IR) whose forward is the integer reference ``model.run``."""

from __future__ import annotations

import os

import numpy as np
import torch
from hls4ml.utils.torch import HLS4MLModule

from model import DeploymentIR, FlowError, read_ir
from model import run as reference_run


class HadamRNN(HLS4MLModule):
    """A HadamRNN over whole sequences, integers in and integers out.

    ``forward(x)``: ``x`` of shape (batch, T, input_dim), or flat (batch, T * input_dim)
    step-major, holding integers of the IR's input format (any dtype).  Returns the
    readout of ``model.run`` as float64 (exact: every output fits 53 bits), flat per
    sequence: (batch, T * outputs) step-major for readout 'every', (batch, outputs)
    for readout 'last'.  The real value of an output is the integer times
    ``2^-ir.output_frac``.  hls4ml's tracer keeps the module whole (a leaf).
    """

    def __init__(self, ir: DeploymentIR) -> None:
        super().__init__()
        if not isinstance(ir, DeploymentIR):
            raise FlowError(f"HadamRNN takes a model.DeploymentIR, got {type(ir).__name__}")
        self.ir = ir

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> HadamRNN:
        """From an IR folder (or its model.json), a run's export folder, or a QONNX cell."""
        return cls(read_ir(path))

    def extra_repr(self) -> str:
        ir = self.ir
        return (f"name={ir.name!r}, hidden={ir.hidden}, block_size={ir.block_size}, "
                f"input_dim={ir.input_dim}, outputs={ir.outputs}, readout={ir.readout!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = np.asarray(x.detach().cpu().numpy())
        d = self.ir.input_dim
        if a.ndim == 2 and a.shape[1] % d == 0 and a.shape[1] > 0:
            a = a.reshape(a.shape[0], a.shape[1] // d, d)
        if a.ndim != 3 or a.shape[2] != d:
            raise FlowError(f"HadamRNN input must have shape (batch, T, {d}) or "
                            f"(batch, T*{d}), got {tuple(a.shape)}")
        if a.dtype.kind == "f":
            if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
                raise FlowError("HadamRNN inputs must be integers (the IR's input format)")
            a = a.astype(np.int64)
        y = np.asarray(reference_run(self.ir, a))
        return torch.from_numpy(y.reshape(a.shape[0], -1).astype(np.float64))
