"""The HadamRNN / Block-HadamRNN cell with hardware-exact quantization in the loop."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .._errors import FlowError
from .._fixed import ROUNDINGS, FixedFormat, inv_sqrt2_constant
from ._hadamard import _check_pow2, fwht
from ._kernels import work_dtype
from ._quant import (
    quant_linear,
    quant_weight_value,
    sign_ste,
    to_fixed,
    to_grid,
    weight_ints_frac,
)
from ._recurrence import LoopSpec, fused_network

#: output_bias bound of the IR (|c| <= 2**40 in units of 2**-output_frac)
OUTPUT_BIAS_BOUND = 1 << 40


def _fmt(obj: Any) -> FixedFormat:
    return obj if isinstance(obj, FixedFormat) else FixedFormat(**obj)


@dataclass(frozen=True, kw_only=True)
class NetConfig:
    """Everything needed to rebuild a :class:`HadamRNN` (stored in checkpoints)."""

    input_dim: int
    hidden: int
    outputs: int
    block_size: int
    readout: str = "every"
    weight_bits: int = 4
    input_format: FixedFormat = field(default_factory=lambda: FixedFormat(width=8, frac=6))
    state_format: FixedFormat = field(default_factory=lambda: FixedFormat(width=16, frac=8))
    state_rounding: str = "half_up"
    inv_sqrt2_frac: int = 16
    hardware_exact: bool = True
    vocab: int | None = None
    input_weight_frac: int | None = None
    output_weight_frac: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_format", _fmt(self.input_format))
        object.__setattr__(self, "state_format", _fmt(self.state_format))
        _check_pow2(self.hidden, "hidden size")
        _check_pow2(self.block_size, "block size")
        if self.hidden % self.block_size:
            raise FlowError(
                f"block size {self.block_size} does not divide hidden size {self.hidden}")
        if not 2 <= self.weight_bits <= 16:
            raise FlowError(f"weight bits must be in [2, 16], got {self.weight_bits}")
        if not 2 <= self.state_format.width <= 32:
            raise FlowError(f"state bits must be in [2, 32], got {self.state_format.width}")
        if self.readout not in ("every", "last"):
            raise FlowError(f"readout must be 'every' or 'last', got {self.readout!r}")
        if self.state_rounding not in ROUNDINGS:
            raise FlowError(f"state rounding must be one of {ROUNDINGS}, "
                            f"got {self.state_rounding!r}")
        for name in ("input_dim", "outputs"):
            if getattr(self, name) < 1:
                raise FlowError(f"{name} must be >= 1, got {getattr(self, name)}")

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_format"] = self.input_format.to_json()
        d["state_format"] = self.state_format.to_json()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> NetConfig:
        return cls(**d)


class HadamRNN(nn.Module):
    """``h_t = sat(round(W h_{t-1} + U x_t + b))``, ``y_t = V relu(h_t) + c`` with
    ``W = diag(sign u) (I (x) S_m) / sqrt(m)``.

    With ``hardware_exact`` (default) the loop runs in float64 on values that are
    exactly ``int * 2**-frac`` and reproduces :func:`model.run` bit for bit;
    otherwise the state is float32 and 1/sqrt(m) is exact (the paper's training).
    Token tasks (``vocab``) put a learned embedding of width ``input_dim`` in front,
    quantized to ``input_format``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        cfg = kwargs.pop("config", None) or NetConfig(**kwargs)
        self.config: NetConfig = cfg
        n = cfg.hidden
        self.u = nn.Parameter(torch.empty(n, 1))
        nn.init.xavier_uniform_(self.u)
        self.input = quant_linear(cfg.input_dim, n, bits=cfg.weight_bits,
                                  frac=cfg.input_weight_frac)
        # biases in float64: the output bias grid 2**-(F_v + F_h) may need more than
        # float32's 24 bits
        self.state_bias = nn.Parameter(torch.zeros(n, dtype=torch.float64))
        self.output = quant_linear(n, cfg.outputs, bits=cfg.weight_bits,
                                   frac=cfg.output_weight_frac)
        self.output_bias = nn.Parameter(torch.zeros(cfg.outputs, dtype=torch.float64))
        self.embedding = nn.Embedding(cfg.vocab, cfg.input_dim) if cfg.vocab else None
        #: "fused": the whole network over all steps as one compiled autograd function
        #: (fast); "cell": step by step under plain autograd (the reference)
        self.loop = "fused"

    # ------------------------------------------------------------ properties
    @property
    def hardware_exact(self) -> bool:
        return self.config.hardware_exact

    def set_hardware_exact(self, flag: bool) -> None:
        from dataclasses import replace

        self.config = replace(self.config, hardware_exact=bool(flag))

    @property
    def log2_block(self) -> int:
        return self.config.block_size.bit_length() - 1

    @property
    def dtype(self) -> torch.dtype:
        return torch.float64 if self.config.hardware_exact else torch.float32

    def output_weight_frac(self) -> int:
        return weight_ints_frac(self.output, self.config.weight_bits)[1]

    def recurrent_scale(self) -> float:
        """The real factor standing for 1/sqrt(m) in the hardware (float mode: exact)."""
        k = self.log2_block
        if not self.config.hardware_exact:
            return float(2.0 ** (-k / 2))
        scale = 2.0 ** -(k // 2)
        if k % 2:
            c = self.config.inv_sqrt2_frac
            scale *= inv_sqrt2_constant(c) * 2.0 ** -c
        return scale

    # ------------------------------------------------------------ pieces
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs to real values on the input grid: (B, T, input_dim) in ``dtype``."""
        cfg = self.config
        if self.embedding is not None:
            if x.dtype not in (torch.int64, torch.int32):
                raise FlowError("a token model needs integer token ids as input")
            x = self.embedding(x)
        elif x.dim() != 3 or x.shape[-1] != cfg.input_dim:
            raise FlowError(f"inputs must have shape (batch, steps, {cfg.input_dim}), "
                            f"got {tuple(x.shape)}")
        x = x.to(torch.float64)
        if x.requires_grad:
            return to_fixed(x, cfg.input_format).to(self.dtype)
        fmt = cfg.input_format  # raw inputs: no gradient wanted, the same values cheaper
        q = torch.floor(x * 2.0 ** fmt.frac + 0.5).clamp_(fmt.min_int, fmt.max_int)
        return q.mul_(2.0 ** -fmt.frac).to(self.dtype)

    def parts(self) -> dict[str, torch.Tensor]:
        """The quantized parameters as real tensors (differentiable)."""
        cfg = self.config
        dt = self.dtype
        sign = sign_ste(self.u.reshape(-1)).to(dt)
        u_w = quant_weight_value(self.input, dt)
        v_w = quant_weight_value(self.output, dt)
        if cfg.hardware_exact:
            b = to_fixed(self.state_bias.to(dt), cfg.state_format, symmetric=True)
            out_frac = self.output_weight_frac() + cfg.state_format.frac
            c = to_grid(self.output_bias.to(dt), out_frac, OUTPUT_BIAS_BOUND)
        else:
            b = self.state_bias.to(dt)
            c = self.output_bias.to(dt)
        return {"rec": sign * self.recurrent_scale(), "U": u_w, "b": b, "V": v_w, "c": c}

    def cell(self, p: dict[str, torch.Tensor], h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """One state update given the input term ``a = U x_t``."""
        cfg = self.config
        acc = fwht(h, cfg.block_size) * p["rec"] + a + p["b"]
        if not cfg.hardware_exact:
            return acc
        return to_fixed(acc, cfg.state_format, rounding=cfg.state_rounding, symmetric=True)

    def readout(self, p: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
        return torch.relu(h) @ p["V"].T + p["c"]

    def step(
        self, x_t: torch.Tensor, h: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One recurrent step on real inputs ``x_t`` (B, input_dim): returns (h_t, y_t)."""
        p = self.parts()
        xq = self.embed(x_t[:, None])[:, 0]
        h = self.cell(p, h.to(self.dtype), xq @ p["U"].T)
        return h, self.readout(p, h)

    def loop_spec(self) -> LoopSpec:
        """The fixed-point rules of the fused loop, and its exact work dtype."""
        cfg = self.config
        quant = cfg.hardware_exact
        return LoopSpec(
            block=cfg.block_size,
            state_frac=cfg.state_format.frac if quant else None,
            state_max=(1 << (cfg.state_format.width - 1)) - 1,
            rounding=cfg.state_rounding,
            every=cfg.readout == "every",
            work=work_dtype(cfg.state_format.width, self.log2_block, quant))

    def forward(
        self, x: torch.Tensor, *, return_states: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits (B, T, outputs) for readout 'every', (B, outputs) for 'last'."""
        p = self.parts()
        xe = self.embed(x)
        if self.loop == "cell":
            hs = self._loop_cells(p, xe @ p["U"].T)
            y = (self.readout(p, hs) if self.config.readout == "every"
                 else self.readout(p, hs[:, -1]))
            return (y, hs) if return_states else y
        y, states = fused_network(xe, p, self.loop_spec(), want_states=return_states)
        return (y, states) if return_states else y

    def _loop_cells(self, p: dict[str, torch.Tensor], a_all: torch.Tensor) -> torch.Tensor:
        """Reference loop: :meth:`cell` per step under plain autograd."""
        h = a_all.new_zeros(a_all.shape[0], self.config.hidden)
        states = []
        for t in range(a_all.shape[1]):
            h = self.cell(p, h, a_all[:, t])
            states.append(h)
        return torch.stack(states, 1)

    def integer_sign(self) -> np.ndarray:
        return np.where(self.u.detach().reshape(-1).numpy() >= 0, 1, -1).astype(np.int64)
