"""Post-route clock and cells of emitted designs: Yosys + nextpnr for ECP5
(LFE5U-85F) and iCE40 (UP5K) inside the registered three-pin harness
(codegen/tools/_harness.py), plus Yosys synth_xilinx cells.

    .venv/bin/python bench/bench_pnr.py                 # every configuration below
    .venv/bin/python bench/bench_pnr.py --only n16_p1,n16_p6

Each run is cached by a hash of the emitted Verilog (rerun = free) in
bench/results/pnr_ecp5.json, which is committed; the table goes to stdout
(BENCHMARKS.md).  synth_ecp5 of an n = 16 design takes minutes on the shared
2-core machine, so keep this out of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen import EmitOptions, render, write_project  # noqa: E402
from codegen.estimate import board, estimate  # noqa: E402
from codegen.tools import place_route, synthesize  # noqa: E402
from model import load_ir, random_ir  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "pnr_ecp5.json"
BUILD = ROOT / "build" / "bench_pnr"


@dataclass(frozen=True, kw_only=True)
class Config:
    name: str
    n: int
    m: int
    pipeline: int = 1
    interleave: int = 1
    fold: int = 1
    arch: str = "parallel"
    d: int = 10
    outputs: int = 9
    seed: int = 1
    ir_path: str | None = None     #: a committed IR instead of a random one
    families: tuple[str, ...] = ("ecp5",)

    def ir(self):  # type: ignore[no-untyped-def]
        if self.ir_path:
            return load_ir(ROOT / self.ir_path)
        return random_ir(hidden=self.n, block_size=self.m, input_dim=self.d,
                         outputs=self.outputs, seed=self.seed, name=f"pnr_{self.name}")

    def options(self) -> EmitOptions:
        return EmitOptions(target="verilog", pipeline=self.pipeline, arch=self.arch,  # type: ignore[arg-type]
                           interleave=self.interleave, fold=self.fold)


CONFIGS: tuple[Config, ...] = (
    Config(name="n16_p1", n=16, m=16),
    Config(name="n16_p3_b3", n=16, m=16, pipeline=3, interleave=3),
    Config(name="n16_p6_b6", n=16, m=16, pipeline=6, interleave=6),
    Config(name="n32_p1", n=32, m=32),
    Config(name="n32_p7_b7", n=32, m=32, pipeline=7, interleave=7),
    Config(name="n16_stream_b2", n=16, m=16, arch="stream", interleave=2,
           families=("ecp5", "ice40", "xc7")),
    # n = 64 (the issue's Pareto front): parallel, pipelined, streaming
    Config(name="n64_stream_b2", n=64, m=64, arch="stream", interleave=2,
           families=("ecp5", "ice40", "xc7")),
    Config(name="n64_p8_b8", n=64, m=64, pipeline=8, interleave=8),
    Config(name="n64_p1", n=64, m=64),
    # the trained copy-task model (n = 128, 4-bit U/V, 16-bit state, 10 inputs, 9 outputs)
    Config(name="copy200_stream_b2", n=128, m=128, arch="stream", interleave=2,
           ir_path="examples/copy200", families=("ice40", "ecp5", "xc7")),
)


def run(cfg: Config, stored: dict[str, dict[str, object]]) -> dict[str, object]:
    files = render(cfg.ir(), cfg.options())
    rtl = {p: t for p, t in files.items() if p.startswith("rtl/")}
    key = hashlib.sha256(json.dumps(rtl, sort_keys=True).encode()).hexdigest()[:16]
    old = stored.get(cfg.name)
    if old and old.get("key") == key:
        return old
    folder = BUILD / cfg.name
    write_project(files, folder / "project", force=True)
    project = json.loads(files["project.json"])  # type: ignore[arg-type]
    sources = [folder / "project" / s for s in project["sources"]]
    start = time.perf_counter()
    row: dict[str, object] = {
        "key": key, "n": cfg.n, "m": cfg.m, "pipeline": cfg.pipeline, "arch": cfg.arch,
        "interleave": cfg.interleave, "fold": cfg.fold, "d": cfg.d, "outputs": cfg.outputs,
        "cycles_per_step": int(project["design"]["schedule"]["cycles_per_beat"])}
    parts = {"ecp5": "LFE5U-85F-6BG381C", "ice40": "iCE40UP5K-SG48"}
    for family in cfg.families:
        print(f"#   {family} ...", file=sys.stderr, flush=True)
        if family == "xc7":
            syn = synthesize(sources, top=project["top"], family="xc7",
                             workdir=folder / "xc7")
            row["xc7"] = syn.to_json()
            continue
        try:
            res = place_route(sources, top=project["top"], family=family, part=parts[family],
                              workdir=folder / family, clock_ns=5.0)
            row[family] = res.to_json()
        except Exception as exc:  # noqa: BLE001 - a failing run is recorded, not fatal
            row[family] = {"error": " ".join(str(exc).split())}
    row["wall_s"] = round(time.perf_counter() - start, 1)
    if cfg.arch == "parallel":
        est = estimate(cfg.ir(), board=board("pynq-z2"), pipeline=cfg.pipeline,
                       interleave=cfg.interleave, fold=cfg.fold)
        row["estimate_xc7"] = {"lut": est.lut, "ff": est.ff}
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    args = ap.parse_args()
    os.environ.setdefault("XDG_CACHE_HOME", str(ROOT / "build" / "cache"))
    stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for cfg in CONFIGS:
        if args.only and cfg.name not in args.only.split(","):
            continue
        print(f"# {cfg.name} ...", file=sys.stderr, flush=True)
        stored[cfg.name] = run(cfg, stored)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, RESULTS)
        print(f"# {cfg.name}: done ({stored[cfg.name]['wall_s']} s)", file=sys.stderr, flush=True)
    table(stored)
    return 0


def table(stored: dict[str, dict[str, object]]) -> None:
    print("| design | arch | n | P | B | cycles/step | family | LUT (LUT4) | carry | FF | RAM "
          "| DSP | Fmax MHz | M steps/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in CONFIGS:
        r = stored.get(cfg.name)
        if not r:
            continue
        for family in ("xc7", "ecp5", "ice40"):
            f = r.get(family)
            if not isinstance(f, dict):
                continue
            head = (f"| {cfg.name} | {r.get('arch', 'parallel')} | {r['n']} | {r['pipeline']} | "
                    f"{r['interleave']} | {r['cycles_per_step']} | {family} |")
            if "error" in f:
                print(f"{head} failed: {f['error'][:80]} |||||||")
                continue
            s = f["synth"] if "synth" in f else f
            ram = s.get("ebr4k") or s.get("bram36") or 0
            ram = f"{ram} + {s['lutram']} LUTRAM" if s.get("lutram") else ram
            fmax = f.get("fmax_mhz")
            rate = f"{float(fmax) / int(r['cycles_per_step']):.2f}" if fmax else "-"
            print(f"{head} {s['lut']} | {s['carry']} | {s['ff']} | {ram} | {s['dsp']} | "
                  f"{fmax or '-'} | {rate} |")


if __name__ == "__main__":
    sys.exit(main())
