"""``python -m sim csim PROJECT``: C simulation of a generated Vitis HLS project."""

from __future__ import annotations

import argparse
import sys
import time

from model import FlowError, positive_int


def _cmd_csim(args: argparse.Namespace) -> int:
    from ._csim import run_csim

    start = time.perf_counter()
    if args.steps is not None and args.steps < 1:
        raise FlowError(f"--steps must be >= 1, got {args.steps}")
    report = run_csim(args.project, vectors=args.vectors or 0, seed=args.seed, steps=args.steps,
                      opt=args.opt)
    elapsed = time.perf_counter() - start
    tb_last = report.testbench_output.splitlines()[-1] if report.testbench_output else ""
    print(f"test bench: {tb_last}")
    print(f"bridge: {report.vectors} sequences, {report.steps} steps, "
          f"{report.outputs_checked} outputs, {report.mismatches} mismatches")
    if report.first is not None:
        print(f"first mismatch: {report.first}")
    print(f"time: {elapsed:.2f} s total (g++ {report.compile_seconds:.2f} s, "
          f"C simulation {report.csim_seconds:.3f} s, reference {report.reference_seconds:.3f} s)")
    if report.ok:
        print("csim: PASS (bit-exact)")
        return 0
    print("csim: FAIL", file=sys.stderr)
    return 1


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``csim``."""
    p = sub.add_parser("csim", help="C-simulate a generated Vitis HLS project with g++")
    p.add_argument("project", help="folder written by `python -m codegen emit --target vitis`")
    p.add_argument("--vectors", type=positive_int, default=None,
                   help="also check N >= 1 fresh random sequences through the ctypes bridge")
    p.add_argument("--seed", type=int, default=1, help="seed of the fresh sequences")
    p.add_argument("--steps", type=int, default=None,
                   help="time steps of the fresh sequences (default: the project's tb_steps)")
    p.add_argument("-O", dest="opt", type=int, choices=(0, 1, 2), default=2,
                   help="g++ optimisation level (0: faster to compile, slower to run)")
    p.set_defaults(func=_cmd_csim)
