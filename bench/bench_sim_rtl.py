"""Verilog RTL target: Verilator build time, simulated cycles per second and
measured cycles per time step for F = 1, 2, 4 at n = 64; optionally the Yosys
``synth_xilinx -family xc7`` cell counts of the emitted RTL for n = 16 and 64.

    .venv/bin/python bench/bench_sim_rtl.py [--synth] [--out build/bench_sim_rtl]

Every figure is measured in this run; nothing is copied from elsewhere.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import model  # noqa: E402
from codegen import EmitOptions, render, write_project  # noqa: E402
from codegen.verilog import MODULES, SOURCES  # noqa: E402
from sim import BUILD_ROOT, cache_root, simulate  # noqa: E402

TOP = MODULES["top"]


def emit(ir: model.DeploymentIR, out: Path, **opts: object) -> Path:
    write_project(render(ir, EmitOptions(target="verilog", **opts)), out,  # type: ignore[arg-type]
                  force=True)
    return out


def bench_sim(out: Path, vectors: int, steps: int, reuse: bool) -> list[str]:
    ir = model.random_ir(hidden=64, input_dim=4, outputs=3, seed=64)
    rows = ["| n | F | B | Verilator build (s) | sequences | beats | stream cycles "
            "| stream wall (s) | cycles/s | run wall incl. start-up (s) "
            "| cycles/step measured | formula | bit-exact |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for fold in (1, 2, 4):
        folder = emit(ir, out / f"n64_f{fold}", fold=fold)
        if not reuse:
            shutil.rmtree(cache_root() / BUILD_ROOT, ignore_errors=True)  # time a fresh build
        res = simulate(folder, vectors=vectors, seed=1, max_steps=steps, valid_prob=1.0,
                       ready_prob=1.0, tests=("timing", "stream"))
        st, tm = res.results["stream"], res.results["timing"]
        sched = res.project.schedule
        # cycles/s: the stream test's cycles over its own wall time (driver,
        # monitor and scoreboard in Python included, simulator start-up excluded).
        ok = res.passed and tm["beat_gaps"] == [sched["cycles_per_beat"]]
        build = f"{res.build_s:.1f}" if res.built else "reused"
        rows.append(
            f"| 64 | {fold} | 1 | {build} | {st['sequences']} | {st['beats']} "
            f"| {st['cycles']} | {st['wall_s']:.2f} | {st['cycles'] / st['wall_s']:,.0f} "
            f"| {res.sim_s:.1f} | {tm['beat_gaps']} | {sched['cycles_per_beat']} "
            f"| {'yes' if ok else 'NO'} |")
        print(rows[-1], flush=True)
    return rows


def bench_synth(out: Path) -> list[str]:
    from codegen.tools import synthesize

    rows = ["| n | datapath | F | LUT | FF | CARRY4 | DSP | other cells "
            "| recur LUT | recur CARRY4 | recur FF | update LUT | readout LUT | Yosys (s) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, datapath, fold in ((16, "hadamard", 1), (16, "dense", 1), (16, "hadamard", 2),
                              (64, "hadamard", 1), (64, "hadamard", 4)):
        ir = model.random_ir(hidden=n, input_dim=4, outputs=3, seed=n)
        folder = emit(ir, out / f"synth_n{n}_{datapath}_f{fold}", fold=fold, datapath=datapath)
        start = time.perf_counter()
        res = synthesize([folder / s for s in SOURCES], top=TOP, family="xc7",
                         workdir=folder / "yosys")
        secs = time.perf_counter() - start
        mods = {name.lstrip("\\"): cells for name, cells in res.modules.items()}

        def count(module: str, prefix: str, mods: dict = mods) -> int:
            return sum(c for k, c in mods.get(module, {}).items() if k.startswith(prefix))

        rows.append(f"| {n} | {datapath} | {fold} | {res.lut} | {res.ff} | {res.carry} "
                    f"| {res.dsp} | {sum(res.other.values())} "
                    f"| {count('hadamrnn_recur', 'LUT')} | {count('hadamrnn_recur', 'CARRY')} "
                    f"| {count('hadamrnn_recur', 'FD')} | {count('hadamrnn_update', 'LUT')} "
                    f"| {count('hadamrnn_readout', 'LUT')} | {secs:.0f} |")
        print(rows[-1], flush=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "build" / "bench_sim_rtl"))
    p.add_argument("--vectors", type=int, default=200)
    p.add_argument("--steps", type=int, default=16)
    p.add_argument("--synth", action="store_true")
    p.add_argument("--no-sim", action="store_true")
    p.add_argument("--reuse", action="store_true", help="reuse Verilator builds (no build time)")
    args = p.parse_args()
    out = Path(args.out)
    if not args.no_sim:
        print("\n".join(bench_sim(out, args.vectors, args.steps, args.reuse)))
    if args.synth:
        print("\n".join(bench_synth(out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
