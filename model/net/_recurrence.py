"""The whole network over all steps as one autograd function (fast training on CPU).

Forward and backward run in compiled loops (:mod:`._kernels`): the input product,
the recurrence and the readout of every step, with hand-written BPTT through the
straight-through estimators.  It computes exactly what :meth:`HadamRNN.cell` and
:meth:`HadamRNN.readout` applied step by step compute (the tests compare both,
values bit for bit and gradients to 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import _kernels


@dataclass(frozen=True)
class LoopSpec:
    """The fixed-point rules of the loop.  ``state_frac=None``: unquantized state."""

    block: int
    state_frac: int | None
    state_max: int
    rounding: str
    every: bool
    work: np.dtype


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


class _Fused(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        u: torch.Tensor,
        b: torch.Tensor,
        rec: torch.Tensor,
        v: torch.Tensor,
        c: torch.Tensor,
        spec: LoopSpec,
        want_states: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (T, d, B) inputs on their grid; returns logits (T or 1, o, B) and,
        with ``want_states``, the states (T, n, B) in x's dtype."""
        steps, _, batch = x.shape
        n, o = u.shape[0], v.shape[0]
        quant = spec.state_frac is not None
        keep = want_states or any(ctx.needs_input_grad[:6])
        hs = np.empty((steps if keep else 2, n, batch), spec.work)
        mask = np.empty((steps, n, batch) if quant and keep else (1, 1, 1), np.uint8)
        xn = _np(x)
        y = np.empty((steps if spec.every else 1, o, batch), xn.dtype)
        frac = spec.state_frac if quant else 0
        _kernels.limit_blas_threads(torch.get_num_threads())
        un = _np(u)
        vn = _np(v)
        _kernels.forward_kernel(
            xn, un, _np(b), _np(rec), vn, _np(c), spec.block, 2.0 ** frac, 2.0 ** -frac,
            0.5 if spec.rounding == "half_up" else 0.0, float(spec.state_max), quant,
            spec.every, keep, hs, mask, y)
        ctx.spec = spec
        ctx.dtype = x.dtype
        ctx.saved = (xn, un, _np(rec), vn, hs, mask) if keep else None
        # a copy: the caller may change the states, the backward pass needs them
        states = (torch.from_numpy(hs).to(x.dtype, copy=True) if want_states
                  else x.new_empty(0))
        if not want_states:
            ctx.mark_non_differentiable(states)
        return torch.from_numpy(y), states

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: Any, grad_y: torch.Tensor, grad_hs: torch.Tensor | None
    ) -> tuple[Any, ...]:
        spec: LoopSpec = ctx.spec
        xn, un, recn, vn, hs, mask = ctx.saved
        dt = xn.dtype
        steps, d, batch = xn.shape
        n, o = un.shape[0], vn.shape[0]
        tdt = ctx.dtype
        gy = (np.zeros((steps if spec.every else 1, o, batch), dt) if grad_y is None
              else _np(grad_y.to(tdt)))
        has_ghs = grad_hs is not None and grad_hs.numel() > 0
        ghs = _np(grad_hs.to(tdt)) if has_ghs else np.zeros((1, 1, 1), dt)
        want_gx = ctx.needs_input_grad[0]
        gx = np.zeros((steps, d, batch) if want_gx else (1, 1, 1), dt)
        gu = np.zeros((n, d), dt)
        gb = np.zeros(n, dt)
        grec = np.zeros(n, dt)
        gv = np.zeros((o, n), dt)
        gc = np.zeros(o, dt)
        _kernels.backward_kernel(
            xn, un, recn, vn, hs, mask, gy, ghs, has_ghs, spec.state_frac is not None,
            spec.every, spec.block, want_gx, gx, gu, gb, grec, gv, gc)
        ctx.saved = None
        t = torch.from_numpy
        return (t(gx) if want_gx else None, t(gu), t(gb), t(grec), t(gv), t(gc), None, None)


def fused_network(
    x: torch.Tensor,
    p: dict[str, torch.Tensor],
    spec: LoopSpec,
    *,
    want_states: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits ((B, T, o) for readout every step, (B, o) for the last) and, with
    ``want_states``, all states h_1..h_T (B, T, n), from inputs x (B, T, d) on the
    input grid and the quantized parameters ``p`` (see :meth:`HadamRNN.parts`)."""
    xt = x.permute(1, 2, 0).contiguous()
    y, hs = _Fused.apply(xt, p["U"], p["b"], p["rec"], p["V"], p["c"], spec, want_states)
    y = y.permute(2, 0, 1) if spec.every else y[0].T
    return y, (hs.permute(2, 0, 1) if want_states else None)


class _CrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, y: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        yn = _np(y)
        grad = np.empty_like(yn)
        pred = np.empty(target.shape, np.int64)
        loss = _kernels.cross_entropy_kernel(yn, _np(target), grad, pred)
        ctx.grad = grad
        pred_t = torch.from_numpy(pred)
        ctx.mark_non_differentiable(pred_t)
        return torch.tensor(loss, dtype=y.dtype), pred_t

    @staticmethod
    def backward(ctx: Any, grad_loss: torch.Tensor, _grad_pred: Any) -> tuple[Any, ...]:  # type: ignore[override]
        g = torch.from_numpy(ctx.grad)
        ctx.grad = None
        return g * grad_loss, None


def fused_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Mean cross-entropy and arg-max predictions (B, T) in one compiled pass over
    logits (B, T, o) (no copy when laid out as the fused network returns them:
    time first, batch last); ``None`` unless the shapes are those."""
    if logits.dim() != 3 or target.shape != logits.shape[:2]:
        return None
    return _CrossEntropy.apply(logits.permute(1, 2, 0), target.to(torch.int64))
