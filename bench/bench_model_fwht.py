"""Training-step time of the recurrent product: fast Walsh-Hadamard transform vs a
dense matmul by the Hadamard matrix, side by side in one run.

Per hidden size n (block = n, the binary HadamRNN): the bare recurrence
h_t = sign * S_n h_{t-1} / sqrt(n) + a_t over T steps under plain autograd,
loss = mean(h_T^2), forward + backward.  (The training step itself is a compiled
kernel now; bench/bench_train_step.py times it.)

    .venv/bin/python bench/bench_model_fwht.py [--batch 128] [--steps 100] [--sizes 128 512]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable

import torch

from model.net import fwht, fwht_dense


def _pair(a: Callable[[], None], b: Callable[[], None], repeats: int) -> tuple[float, float]:
    """Fastest of ``repeats`` runs of each, alternating a and b so that a change in
    the machine's load hits both alike."""
    a()
    b()  # warm-up
    ta, tb = [], []
    for _ in range(repeats):
        for fn, out in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def cell_step(transform: Callable[..., torch.Tensor], n: int, batch: int, steps: int,
              dtype: torch.dtype) -> Callable[[], None]:
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(n, generator=gen, dtype=dtype, requires_grad=True)
    # one tensor per step: slicing a (B, T, n) tensor that needs grad inside the
    # loop would cost a full-size zero tensor per step in backward
    a = torch.randn(batch, steps, n, generator=gen, dtype=dtype).unbind(1)
    scale = 1 / math.sqrt(n)

    def run() -> None:
        sign = torch.where(u >= 0, 1.0, -1.0).to(dtype) + (u - u.detach())  # STE
        rec = sign * scale
        h = torch.zeros(batch, n, dtype=dtype)
        for t in range(steps):
            h = transform(h, n) * rec + a[t]
        loss = h.pow(2).mean()
        loss.backward()
        u.grad = None

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=100, help="sequence length T")
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; batch {args.batch}, "
          f"T {args.steps}, fastest of {args.repeats} alternating runs after a warm-up")
    # the two transforms agree before anything is timed
    probe = torch.randn(4, max(args.sizes), dtype=torch.float64)
    assert torch.equal(fwht(probe.round(), None), fwht_dense(probe.round(), None))
    print(f"{'what':<36}{'n':>5}{'FWHT s/step':>13}{'dense s/step':>14}{'dense/FWHT':>12}")
    for n in args.sizes:
        for label, dtype in (("cell fwd+bwd float32", torch.float32),
                             ("cell fwd+bwd float64", torch.float64)):
            f, d = _pair(cell_step(fwht, n, args.batch, args.steps, dtype),
                         cell_step(fwht_dense, n, args.batch, args.steps, dtype), args.repeats)
            print(f"{label:<36}{n:>5}{f:>13.4f}{d:>14.4f}{d / f:>12.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
