"""The whole time loop as one autograd function (fast training on CPU).

Forward runs without building a graph; backward is hand-written BPTT through the
straight-through estimators.  It computes exactly what :meth:`HadamRNN.cell`
applied step by step computes (the tests compare both, values and gradients).
"""

from __future__ import annotations

from typing import Any

import torch

from ._hadamard import fwht


class _Recurrence(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        a: torch.Tensor,
        rec: torch.Tensor,
        b: torch.Tensor,
        block: int,
        state_frac: int | None,
        state_max: int,
        rounding: str,
    ) -> torch.Tensor:
        """a: (B, T, n) input terms, rec: (n,) sign * 1/sqrt(m) factor, b: (n,) bias.

        ``state_frac=None``: unquantized state.  Otherwise every h_t is
        ``clamp(round(acc * 2**F), -state_max, state_max) * 2**-F``.
        """
        batch, steps, n = a.shape
        quantized = state_frac is not None
        ab = (a + b).transpose(0, 1)  # (T, B, n), exact: both on the acc grid
        keep = any(ctx.needs_input_grad[:3])  # no graph wanted: store nothing for backward
        hs = a.new_empty(steps, batch, n)
        fh = a.new_empty(steps if keep else 1, batch, n)
        mask = torch.empty(steps if keep else 1, batch, n, dtype=torch.bool) \
            if quantized else None
        slot = 1 if keep else 0
        h = a.new_zeros(batch, n)
        if quantized:
            up = 2.0 ** state_frac
            down = 2.0 ** -state_frac
            half = 0.5 if rounding == "half_up" else 0.0
            for t in range(steps):
                f = fwht(h, block)
                fh[t * slot] = f
                q = torch.floor(torch.addcmul(ab[t], f, rec).mul_(up).add_(half))
                torch.le(q.abs(), state_max, out=mask[t * slot])
                h = q.clamp_(-state_max, state_max).mul_(down)
                hs[t] = h
        else:
            for t in range(steps):
                f = fwht(h, block)
                fh[t * slot] = f
                h = torch.addcmul(ab[t], f, rec)
                hs[t] = h
        ctx.save_for_backward(rec, fh, mask)
        ctx.block = block
        return hs.transpose(0, 1)

    @staticmethod
    def backward(ctx: Any, grad_hs: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        rec, fh, mask = ctx.saved_tensors
        block = ctx.block
        g_out = grad_hs.transpose(0, 1)
        steps = g_out.shape[0]
        g_acc = torch.empty_like(fh)
        carry = torch.zeros_like(fh[0])
        for t in range(steps - 1, -1, -1):
            g = g_out[t] + carry
            if mask is not None:
                g = g * mask[t]
            g_acc[t] = g
            carry = fwht(g * rec, block)  # (diag(rec) S)^T g, S symmetric
        g_a = g_acc.transpose(0, 1)
        g_b = g_acc.sum(dim=(0, 1))
        g_rec = (g_acc * fh).sum(dim=(0, 1))
        return g_a, g_rec, g_b, None, None, None, None


def recurrence(
    a: torch.Tensor,
    rec: torch.Tensor,
    b: torch.Tensor,
    *,
    block: int,
    state_frac: int | None,
    state_max: int,
    rounding: str,
) -> torch.Tensor:
    """All states h_1..h_T (B, T, n) of the linear recurrence from h_0 = 0."""
    return _Recurrence.apply(a, rec, b, block, state_frac, state_max, rounding)
