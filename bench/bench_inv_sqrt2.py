"""Accuracy against hardware cost of the 1/sqrt(2) constant's precision.

For each fraction-bit count F of the constant (odd log2 m), train the same
model with exactly that constant in the loop (``model train --inv-sqrt2-frac``),
export it, check torch = integer on the test split (``model eval``), and cost
the hardware: the estimator's LUTs for the parallel and the streaming designs,
and Yosys xc7 cells of the streaming design.

    .venv/bin/python bench/bench_inv_sqrt2.py --task digits --fracs 16,8,5,3,2
    .venv/bin/python bench/bench_inv_sqrt2.py --task copy --seq-len 30 ...

Runs are kept under build/bench_inv_sqrt2/ (a rerun reuses finished ones); the
table is printed and written, with a plot, to docs/inv_sqrt2_<task>.{md,png}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen import EmitOptions, render, write_project  # noqa: E402
from codegen.estimate import board, estimate  # noqa: E402
from codegen.hw import csd  # noqa: E402
from codegen.tools import synthesize  # noqa: E402
from model import load_ir  # noqa: E402

BUILD = ROOT / "build" / "bench_inv_sqrt2"


def run(cmd: list[str]) -> str:
    res = subprocess.run([sys.executable, "-m", "model", *cmd], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"model {' '.join(cmd)} failed: {res.stderr.strip()[-300:]}")
    return res.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="digits")
    ap.add_argument("--fracs", default="16,8,5,3,2")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--block-size", type=int, default=128)
    ap.add_argument("--seq-len", type=int, default=None)
    ap.add_argument("--tag", default="", help="suffix of the run folders and docs files")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--interleave", type=int, default=2, help="B of the streaming design")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-args", default="",
                    help="more `model train` options, e.g. \"--train-size 8192 --lr 1e-3\"")
    args = ap.parse_args()
    os.environ.setdefault("XDG_CACHE_HOME", str(ROOT / "build" / "cache"))
    rows = []
    for frac in (int(f) for f in args.fracs.split(",")):
        tag = f"{args.task}{args.tag}_n{args.hidden}_m{args.block_size}_f{frac}"
        folder = BUILD / tag
        if not (folder / "result.json").is_file():
            train = ["train", "--task", args.task, "--hidden", str(args.hidden),
                     "--block-size", str(args.block_size), "--bits", "4", "--state-bits", "16",
                     "--epochs", str(args.epochs), "--seed", str(args.seed),
                     "--inv-sqrt2-frac", str(frac), "--no-progress", "--out",
                     str(folder / "run")]
            if args.seq_len:
                train += ["--seq-len", str(args.seq_len)]
            train += args.train_args.split()
            if not (folder / "run" / "checkpoint.pt").is_file():
                run(train)
            elif not (folder / "run" / "done").is_file():
                run(["train", "--resume", "--no-progress", "--out", str(folder / "run")])
            (folder / "run" / "done").write_text("1\n")
            evaluation = run(["eval", str(folder / "run")])
            run(["export", str(folder / "run"), "--out", str(folder / "ir")])
            ir = load_ir(folder / "ir")
            par = estimate(ir, board=board("pynq-z2"))
            st = estimate(ir, board=board("pynq-z2"), arch="stream", interleave=args.interleave)
            files = render(ir, EmitOptions(target="verilog", arch="stream",
                                           interleave=args.interleave))
            write_project(files, folder / "rtl", force=True)
            project = json.loads((folder / "rtl" / "project.json").read_text())
            syn = synthesize([folder / "rtl" / s for s in project["sources"]],
                             top=project["top"], family="xc7", workdir=folder / "xc7")
            ref = next(ln for ln in evaluation.splitlines() if "integer reference" in ln)
            words = ref.split()
            key = "symbols" if "recalled" in ref else "accuracy"
            acc = float(words[words.index(key) + 1])
            result = {
                "frac": frac, "constant": ir.inv_sqrt2, "csd_digits": len(csd(ir.inv_sqrt2)),
                "value": ir.inv_sqrt2 / 2**frac,
                "eval": [ln for ln in evaluation.splitlines() if ln.strip()][-6:],
                "test_percent": acc, "metric": "recalled symbols" if key == "symbols"
                else "accuracy",
                "parallel_lut_estimate": par.lut, "stream_lut_estimate": st.lut,
                "stream_xc7": {"lut": syn.lut, "ff": syn.ff, "dsp": syn.dsp},
            }
            (folder / "result.json").write_text(json.dumps(result, indent=1) + "\n")
        rows.append(json.loads((folder / "result.json").read_text()))
        print(f"# {tag} done", file=sys.stderr, flush=True)
    lines = ["| F | constant | CSD digits | value | test accuracy | torch = integer | "
             "parallel LUT (est.) | stream LUT (est.) | stream LUT (Yosys xc7) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        acc = f"{r['test_percent']:.2f} % ({r['metric']})"
        same = next((ln for ln in r["eval"] if "differ" in ln), "").split(":")[-1].strip()
        lines.append(f"| {r['frac']} | {r['constant']} | {r['csd_digits']} | "
                     f"{r['value']:.6f} | {acc} | {same} differing | "
                     f"{r['parallel_lut_estimate']} | {r['stream_lut_estimate']} | "
                     f"{r['stream_xc7']['lut']} |")
    table = "\n".join(lines) + "\n"
    print(table)
    out = ROOT / "docs" / f"inv_sqrt2_{args.task}{args.tag}.md"
    out.write_text(f"Command: `.venv/bin/python bench/bench_inv_sqrt2.py --task {args.task} "
                   f"{'--tag ' + args.tag + ' ' if args.tag else ''}--epochs {args.epochs} "
                   f"--fracs {args.fracs} --hidden {args.hidden} --block-size "
                   f"{args.block_size}{' --seq-len ' + str(args.seq_len) if args.seq_len else ''}"
                   f"{' --train-args ' + repr(args.train_args) if args.train_args else ''}`\n\n"
                   + table)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        xs = [r["parallel_lut_estimate"] for r in rows]
        ys = [r["test_percent"] for r in rows]
        ax.plot(xs, ys, "o-")
        for r, x, y in zip(rows, xs, ys, strict=True):
            ax.annotate(f"F={r['frac']}", (x, y), textcoords="offset points", xytext=(4, 4))
        ax.set_xlabel("parallel design LUTs (estimate, xc7)")
        ax.set_ylabel(f"test {rows[0]['metric']} (%)")
        ax.set_title(f"{args.task}: precision of 1/sqrt(2) vs LUTs")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(ROOT / "docs" / f"inv_sqrt2_{args.task}{args.tag}.png")
    except ImportError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
