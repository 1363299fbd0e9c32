"""Throughput of the numpy integer reference vs the torch model's hardware-exact
inference on the same inputs, in one run, and a bit-exact comparison of the two.

    .venv/bin/python bench/bench_model_reference.py [--hidden 128] [--steps 1000] [--batch 256]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from model import random_inputs, random_ir, run
from model.net import from_ir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--block", type=int, default=None, help="block size (default: hidden)")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--input-dim", type=int, default=10)
    ap.add_argument("--outputs", type=int, default=9)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ir = random_ir(hidden=args.hidden, block_size=args.block, input_dim=args.input_dim,
                   outputs=args.outputs, readout="every", seed=0)
    x = random_inputs(ir, batch=args.batch, steps=args.steps, seed=1)
    net = from_ir(ir).eval()
    x_real = torch.from_numpy(x.astype(np.float64) * 2.0 ** -ir.input_format.frac)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, numpy "
          f"{np.__version__}; n {ir.hidden}, block {ir.block_size}, T {args.steps}, "
          f"batch {args.batch}, input_dim {ir.input_dim}, outputs {ir.outputs}, "
          f"state {ir.state_format.width} bits, readout every step")

    def ref() -> np.ndarray:
        return run(ir, x)  # type: ignore[return-value]

    def torch_inf() -> np.ndarray:
        with torch.no_grad():
            y = net(x_real)
        return y.numpy()

    # alternate the two so that a change in the machine's load hits both alike;
    # report the fastest run of each
    results: dict[str, np.ndarray] = {}
    samples: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for label, fn in (("numpy int64 reference", ref), ("torch float64 hw-exact", torch_inf)):
            t0 = time.perf_counter()
            results[label] = fn()
            samples.setdefault(label, []).append(time.perf_counter() - t0)
    times = {label: min(s) for label, s in samples.items()}
    y_ref = results["numpy int64 reference"]
    y_torch = results["torch float64 hw-exact"] * 2.0 ** ir.output_frac
    exact = bool(np.array_equal(np.round(y_torch), y_torch)) and bool(
        np.array_equal(y_torch.astype(np.int64), y_ref))
    base = times["numpy int64 reference"]
    print(f"{'implementation':<26}{'s/batch':>10}{'sequences/s':>14}{'steps/s':>12}"
          f"{'vs reference':>14}")
    for label, t in times.items():
        print(f"{label:<26}{t:>10.3f}{args.batch / t:>14.1f}{args.batch * args.steps / t:>12.0f}"
              f"{base / t:>13.2f}x")
    print(f"bit-exact agreement on all {y_ref.size} outputs: {'yes' if exact else 'NO'}")
    # the same check on inputs at the ends of the range, which saturate the state
    xe = random_inputs(ir, batch=min(args.batch, 32), steps=args.steps, seed=2, extreme=True)
    ye, he = run(ir, xe, return_states=True)
    with torch.no_grad():
        yt = net(torch.from_numpy(xe.astype(np.float64) * 2.0 ** -ir.input_format.frac))
    yt = yt.numpy() * 2.0 ** ir.output_frac
    exact_sat = bool(np.array_equal(yt, ye.astype(np.float64)))
    sat = float(np.mean(np.abs(he) == ir.state_max))
    print(f"bit-exact on {ye.size} outputs with saturating inputs "
          f"({100 * sat:.1f} % of states at the bound): {'yes' if exact_sat else 'NO'}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if not (exact and exact_sat):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
