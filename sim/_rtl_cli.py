"""``python -m sim run PROJECT``: cocotb + Verilator simulation of an emitted RTL
project against the integer reference; exit 1 on the first mismatch."""

from __future__ import annotations

import argparse
import sys

from model import FlowError, positive_int


def _cmd_run(args: argparse.Namespace) -> int:
    from codegen.hw import Schedule

    from ._rtl import simulate

    res = simulate(args.project, vectors=args.vectors, seed=args.seed, waves=args.waves,
                   max_steps=args.max_steps)
    sched = Schedule.from_json(res.project.schedule)
    timing = res.results.get("timing", {})
    stream = res.results.get("stream", {})
    reset = res.results.get("reset", {})
    print(f"build: {'built' if res.built else 'reused'} {res.build_dir} ({res.build_s:.1f} s)")
    print(f"vectors: {stream.get('checked', 0)} output beats checked, "
          f"{stream.get('sequences', 0)} sequences, {stream.get('beats', 0)} input beats, "
          f"{stream.get('cycles', 0)} cycles (random gaps and backpressure)")
    gaps = timing.get("beat_gaps", [])
    periods = timing.get("call_periods", [])
    B = int(sched.interleave)
    print(f"cycles per time step: measured {gaps} per beat, formula {sched.cycles_per_beat} "
          f"(each sequence steps every {sched.cycles_per_sequence_step} cycles)")
    print(f"cycles per call of {B} sequence(s) x {timing.get('steps')} steps: measured "
          f"{periods}, formula {sched.to_json()['call_cycles']} "
          f"= {sched.call_cycles(int(timing.get('steps', 0)))}")
    if periods:
        print(f"cycles per sequence of {timing.get('steps')} steps: measured "
              f"{[round(p / B, 2) for p in periods]} (call period / B)")
    print(f"reset mid-sequence: {reset.get('checked', 0)} beats checked after reset, "
          f"{reset.get('mismatches', 0)} mismatches")
    print(f"simulation time: {res.sim_s:.1f} s")
    if res.waves is not None:
        print(f"waves: {res.waves}")
    for name in res.tests:
        r = res.results.get(name, {})
        if r.get("mismatches", 0):
            m = r["first_mismatch"]
            print(f"MISMATCH ({name}): sequence {m['seq']}, step {m['step']}, "
                  f"expected {m['expected']}, got {m['got']}", file=sys.stderr)
            return 1
        if not r.get("finished", False):
            print(f"FAILED ({name}): did not finish ({r.get('left', '?')} outputs missing)",
                  file=sys.stderr)
            return 1
    expected_c = int(sched.cycles_per_beat)
    if gaps != [expected_c]:
        print(f"FAILED: measured cycles per beat {gaps} != {expected_c}", file=sys.stderr)
        return 1
    want = sched.call_cycles(int(timing.get("steps", 0)))
    if periods != [want]:
        print(f"FAILED: measured cycles per call {periods} != {want}", file=sys.stderr)
        return 1
    print("PASS: bit-exact against the integer reference")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``run``."""
    p = sub.add_parser("run", help="cocotb + Verilator simulation of an emitted RTL project")
    p.add_argument("project", help="folder written by `codegen emit --target verilog`")
    p.add_argument("--vectors", type=positive_int, default=32, help="random sequences to check")
    p.add_argument("--seed", type=int, default=0, help="seed of the random sequences")
    p.add_argument("--max-steps", type=positive_int, default=12,
                   help="longest random sequence (time steps)")
    p.add_argument("--waves", action="store_true", help="write a waveform file")
    p.set_defaults(func=_cmd_run)


__all__ = ["FlowError", "add_parser"]
