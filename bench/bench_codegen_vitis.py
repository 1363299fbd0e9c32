"""Vitis HLS target: emit time for large n, and C-simulation throughput of the
ctypes bridge against the numpy integer reference, measured in the same run.

    .venv/bin/python bench/bench_codegen_vitis.py [--sequences 1000] [--steps 16]

Prints a markdown table for BENCHMARKS.md (section "Vitis HLS target").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from codegen import EmitOptions, describe, render, write_project
from codegen.hw import network_adders
from model import random_ir, run, save_ir, tb_inputs
from sim import Bridge, CsimBuild, cxx_flags, load_project


def bench_emit(root: Path, hidden: int, block: int) -> tuple[float, float, int, int]:
    ir = random_ir(hidden=hidden, block_size=block, input_dim=10, outputs=9, seed=1)
    opts = EmitOptions(target="vitis", tb_sequences=16, tb_steps=16)
    t0 = time.perf_counter()
    files = render(ir, opts)
    t1 = time.perf_counter()
    write_project(files, root / f"emit_{hidden}_{block}")
    t2 = time.perf_counter()
    lines = files["src/hadamrnn_top.cpp"].count("\n")
    return t1 - t0, t2 - t0, lines, network_adders(describe(ir, EmitOptions(target="vitis")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--opt", type=int, default=2, help="g++ -O level of the bridge")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_vitis_") as tmp:
        root = Path(tmp)
        print("| design | render s | render+write s | top.cpp lines | FWHT add/sub |")
        print("| --- | --- | --- | --- | --- |")
        for hidden, block in ((128, 128), (1024, 1024), (1024, 64)):
            r, w, lines, adders = bench_emit(root, hidden, block)
            print(f"| n={hidden}, m={block} | {r:.2f} | {w:.2f} | {lines} | {adders} |")
        ir_dir = save_ir(random_ir(hidden=1024, block_size=1024, input_dim=10, outputs=9,
                                   seed=1), root / "ir1024")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "codegen", "emit", str(ir_dir), "--target",
                        "vitis", "--out", str(root / "cli1024")], check=True,
                       capture_output=True)
        print(f"\n`python -m codegen emit` (whole process, n=1024, m=1024): "
              f"{time.perf_counter() - t0:.2f} s")

        ir = random_ir(hidden=128, block_size=128, input_dim=10, outputs=9, seed=1)
        project = write_project(
            render(ir, EmitOptions(target="vitis", tb_sequences=16, tb_steps=16)),
            root / "csim")
        build = CsimBuild(project=project, flags=cxx_flags(args.opt))
        t0 = time.perf_counter()
        bridge = Bridge(build=build)
        compile_s = time.perf_counter() - t0
        ir = load_project(project, target="vitis").ir
        x = tb_inputs(ir, count=args.sequences, steps=args.steps, seed=7)
        t0 = time.perf_counter()
        got = bridge.predict(x)
        t1 = time.perf_counter()
        want = run(ir, x)
        t2 = time.perf_counter()
        exact = bool(np.array_equal(got, want))
        steps = args.sequences * args.steps
        print()
        print(f"C simulation, n=128 m=128 (random IR seed 1), {args.sequences} sequences x "
              f"{args.steps} steps, g++ -O{args.opt} (compile {compile_s:.1f} s), "
              f"bit-exact: {exact}")
        print()
        print("| engine | seconds | steps/s | sequences/s |")
        print("| --- | --- | --- | --- |")
        for name, sec in (("ctypes bridge (generated C++)", t1 - t0),
                          ("model.run (numpy reference)", t2 - t1)):
            print(f"| {name} | {sec:.3f} | {steps / sec:,.0f} | {args.sequences / sec:,.0f} |")
        print(f"| ratio bridge/reference time | {(t1 - t0) / (t2 - t1):.2f} | | |")
        if not exact:
            raise SystemExit("bridge and reference differ")


if __name__ == "__main__":
    main()
