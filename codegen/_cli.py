"""``python -m codegen``: emit a target project from an IR, estimate resources.

Each subcommand is a thin wrapper over a library function.  Failures print one
line (``error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from model import OneLineParser, positive_int, read_ir, run_cli

from ._arguments import add_schedule_arguments
from ._targets import TARGETS, render
from .estimate import add_estimate_parser, check_part
from .hw import EmitOptions
from .project import write_project
from .sweep import add_sweep_parser


def _cmd_emit(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    ir = read_ir(args.ir)
    check_part(args.part)
    options = EmitOptions(
        target=args.target, fold=args.fold, interleave=args.interleave, part=args.part,
        clock_ns=args.clock_ns, datapath=args.datapath, pipeline=args.pipeline,
        arch=args.arch, lanes=args.lanes, reuse=args.reuse, arith=args.arith,
        tb_sequences=args.tb_sequences,
        tb_steps=args.tb_steps, tb_seed=args.seed)
    files = render(ir, options)
    write_project(files, args.out, force=args.force)
    elapsed = time.perf_counter() - start
    print(f"emitted {len(files)} files for target {args.target} to {args.out} "
          f"({elapsed:.2f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m codegen", description="Generate hardware from a HadamRNN IR.")
    sub = parser.add_subparsers(dest="command", required=True)

    emit = sub.add_parser("emit", help="render a target project (vitis, verilog)")
    emit.add_argument("ir", help="IR folder (model.json + weights.npz) or a QONNX cell (.onnx)")
    emit.add_argument("--target", required=True,
                      help=f"one of: {', '.join(sorted(TARGETS))}")
    emit.add_argument("--out", required=True, help="output folder")
    emit.add_argument("--part", default="xc7z020clg400-1", help="FPGA part number")
    add_schedule_arguments(emit)
    emit.add_argument("--tb-sequences", type=positive_int, default=16,
                      help="test-bench sequences written from the integer reference")
    emit.add_argument("--tb-steps", type=positive_int, default=None,
                      help="time steps per test-bench sequence (default: from the IR)")
    emit.add_argument("--seed", type=int, default=0, help="seed of the test-bench vectors")
    emit.add_argument("--force", action="store_true",
                      help="write into a folder that holds files codegen did not write")
    emit.set_defaults(func=_cmd_emit)
    add_estimate_parser(sub)
    add_sweep_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(build_parser(), argv)
