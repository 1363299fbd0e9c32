"""``python -m codegen sweep SPEC --out DIR``: a design-space sweep on Ray."""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from model import positive_int

from ._report import write_reports
from ._run import run_sweep
from ._spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``sweep`` subcommand."""
    p = sub.add_parser(
        "sweep", help="run a grid of emit + estimate (+ Yosys / nextpnr) points on Ray",
        description="Run every point of a sweep spec (TOML or JSON, see docs/sweep.md) as "
                    "a Ray task, store each result in DIR/points/ as it finishes (a rerun "
                    "computes only what is missing), write DIR/results.csv, results.md "
                    "and pareto.png.")
    p.add_argument("spec", help="sweep spec (.toml or .json)")
    p.add_argument("--out", required=True, help="results folder (also the cache)")
    p.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                   help="CPUs of the local Ray instance (default: all); 1 without --address "
                        "runs the points in this process, without Ray")
    p.add_argument("--address", default=None,
                   help="an existing Ray cluster (e.g. ray://host:10001 or auto); "
                        "--workers then caps the tasks in flight")
    p.add_argument("--work", default=None,
                   help="scratch folder for emitted RTL and tool runs (default DIR/work)")
    p.add_argument("--retry-failed", action="store_true",
                   help="recompute the points whose stored result is a failure")
    p.add_argument("--recompute", action="store_true",
                   help="ignore stored point results (Yosys / nextpnr results stay cached)")
    p.add_argument("--prune", action="store_true",
                   help="delete stored point results that this grid (and code) no longer has")
    p.add_argument("--no-plot", action="store_true", help="skip pareto.png")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_sweep_command)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_sweep_command(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    os.environ.setdefault("XDG_CACHE_HOME", str(Path("build/cache").resolve()))
    # In-process, `kill` stops the sweep like Ctrl-C (exit status 130); once Ray is
    # up its own SIGTERM handler ends the driver and Ray's processes exit with it.
    # Either way every finished point is stored already.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        res = run_sweep(spec, args.out, workers=args.workers, address=args.address,
                        work=args.work, retry_failed=args.retry_failed,
                        recompute=args.recompute, progress=not args.no_progress,
                        prune=args.prune)
    finally:
        signal.signal(signal.SIGTERM, previous)
    written = write_reports(res.records, args.out, title=spec.name, plot=not args.no_plot)
    if res.computed == 0:
        where = "nothing to compute"
    elif res.mode == "serial":
        where = "in-process"
    else:
        where = f"Ray at {args.address}" if args.address else f"local Ray, {args.workers} workers"
    print(f"{len(res.records)} points: {res.computed} computed ({res.tool_runs} tool runs), "
          f"{res.cached} cached, {res.failed} failed; {res.wall_s:.1f} s {where}")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
