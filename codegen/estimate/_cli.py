"""``python -m codegen estimate IR``: does the design fit a board, how fast, at what cost.

Prints a table (or ``--json``); ``--all-boards`` ranks every board of the
database; ``--plot FILE.png`` draws the LUT / cycles-per-step Pareto front over
fold factors; ``--synth`` measures the emitted RTL with Yosys beside the
estimate; ``--datapath dense`` adds the dense +-1 baseline to the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from model import FlowError, positive_int, read_ir

from .._arguments import add_schedule_arguments
from ..tools import SynthResult, nextpnr_ecp5, nextpnr_ice40, require_yosys
from ._boards import board as get_board
from ._boards import boards
from ._estimate import Estimate, arch_points, estimate, sweep
from ._report import (
    board_ranking,
    comparison,
    error_percent,
    measured_resources,
    plot_pareto,
    table,
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``estimate`` subcommand."""
    p = sub.add_parser("estimate", help="estimate resources, latency and fit on a board",
                       description=__doc__)
    p.add_argument("ir", help="IR folder (model.json + weights.npz) or a QONNX cell (.onnx)")
    p.add_argument("--board", default="pynq-z2",
                   help="board key from codegen/estimate/data/boards.json (default pynq-z2)")
    p.add_argument("--all-boards", action="store_true", help="rank every board")
    add_schedule_arguments(p)
    p.add_argument("--steps", type=positive_int, default=None,
                   help="time steps per sequence for latency (default: IR meta, else 100)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--plot", metavar="FILE.png", default=None,
                   help="write the LUT vs cycles-per-step Pareto plot over fold factors")
    p.add_argument("--synth", action="store_true",
                   help="emit the RTL and measure it with Yosys beside the estimate")
    p.add_argument("--pnr", action="store_true",
                   help="iCE40 boards: place and route with nextpnr-ice40, report Fmax")
    p.add_argument("--build", default=None,
                   help="folder for --synth / --pnr (default build/estimate/<ir name>)")
    p.set_defaults(func=run_estimate)


def _estimates(ir, args: argparse.Namespace, board_key: str) -> tuple[Estimate, Estimate | None]:
    b = get_board(board_key)
    main = estimate(ir, board=b, fold=args.fold, interleave=args.interleave,
                    clock_ns=args.clock_ns, datapath="hadamard", steps=args.steps,
                    pipeline=args.pipeline, arch=args.arch, lanes=args.lanes,
                    arith=args.arith, reuse=args.reuse)
    dense = None
    if args.datapath == "dense":
        dense = estimate(ir, board=b, fold=1, interleave=args.interleave,
                         clock_ns=args.clock_ns, datapath="dense", steps=args.steps)
    return main, dense


def _fastest_fitting(ir, args: argparse.Namespace, board_key: str) -> Estimate | None:
    fitting = [e for e in sweep(ir, board=get_board(board_key), interleave=args.interleave,
                                clock_ns=args.clock_ns, steps=args.steps) if e.fits_all]
    return max(fitting, key=lambda e: e.timing.steps_per_s) if fitting else None


def run_estimate(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    get_board(args.board)  # unknown board: one line, exit 2, before any work
    if args.synth:
        require_yosys()
    if args.pnr:
        family = "ice40" if get_board(args.board).family == "ice40" else "ecp5"
        if (nextpnr_ice40() if family == "ice40" else nextpnr_ecp5()) is None:
            raise FlowError(f"--pnr needs nextpnr-{family}, which is not installed "
                            f"(pip install yowasp-nextpnr-{family})")
    ir = read_ir(args.ir)
    main, dense = _estimates(ir, args, args.board)

    measured: dict[str, SynthResult] = {}
    fmax: float | None = None
    if args.synth or args.pnr:
        from ._synth import measure

        build = Path(args.build or Path("build") / "estimate" / main.ir_name)
        if not os.environ.get("XDG_CACHE_HOME"):
            os.environ["XDG_CACHE_HOME"] = str((Path("build") / "cache").resolve())
        total = main.lut + (dense.lut if dense is not None else 0)
        if total > 20000:
            print(f"note: Yosys on about {total:,} LUTs; its ABC9 step needs roughly "
                  f"{total / 1000 * 25 / 60:.0f} min on a busy 2-core machine", file=sys.stderr)
        for e in (main, dense):
            if e is None:
                continue
            result, f = measure(ir, e, build, pnr=args.pnr and e is main)
            measured[e.datapath] = result
            fmax = f if e is main else fmax

    ranking: list[tuple[Estimate, Estimate | None]] = []
    if args.all_boards:
        for key in boards():
            e, _ = _estimates(ir, args, key)
            ranking.append((e, _fastest_fitting(ir, args, key)))
        ranking.sort(key=lambda r: (not r[0].fits_all, r[0].board.lut, r[0].board.key))

    plot_path = None
    if args.plot:
        points = arch_points(ir, board=main.board, clock_ns=args.clock_ns, steps=args.steps)
        try:
            plot_path = plot_pareto(points, args.plot, dense=dense)
        except OSError as exc:
            raise FlowError(f"cannot write the plot {args.plot}: {exc.strerror or exc}") from None

    elapsed = time.perf_counter() - start
    if args.json:
        doc: dict[str, object] = {"estimate": main.to_json()}
        if dense is not None:
            doc["dense"] = dense.to_json()
        if measured:
            doc["yosys"] = {}
            for name, m in measured.items():
                e = main if name == "hadamard" else dense
                assert e is not None
                errs = {k: error_percent(v, measured_resources(m)[k])
                        for k, v in e.used().items()}
                doc["yosys"][name] = {**m.to_json(), "error_percent": errs}  # type: ignore[index]
        if fmax is not None:
            doc["fmax_mhz"] = round(fmax, 2)
        if ranking:
            doc["boards"] = [{**e.to_json(), "fastest_fitting_fold":
                              best.fold if best else None} for e, best in ranking]
        if plot_path:
            doc["plot"] = str(plot_path)
        doc["seconds"] = round(elapsed, 3)
        print(json.dumps(doc, indent=2))
        return 0
    print(table(main, measured.get("hadamard")))
    if dense is not None:
        print(comparison(main, dense, measured or None))
    if fmax is not None:
        where = ("nextpnr-ice40" if main.board.family == "ice40" else
                 "nextpnr-ecp5 on an LFE5U-85F (the open place and route standing in for "
                 f"{main.board.family})")
        rate = fmax * 1e6 / main.timing.cycles_per_step
        print(f"{where}: Fmax {fmax:.1f} MHz (target {1000 / args.clock_ns:.0f} MHz), "
              f"{rate / 1e6:.2f} M steps/s per design")
    if ranking:
        print("\nboards, best first (fits, then smallest):")
        print(board_ranking(ranking))
    if plot_path:
        print(f"\nPareto plot written to {plot_path}")
    print(f"({elapsed:.2f} s)")
    return 0
