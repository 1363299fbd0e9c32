"""Post-route clock and cells of emitted designs: Yosys synth_ecp5 + nextpnr-ecp5
(LFE5U-85F) inside the registered three-pin harness (codegen/tools/_harness.py).

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
from codegen.tools import place_route_ecp5  # noqa: E402
from model import random_ir  # noqa: E402

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
    d: int = 10
    outputs: int = 9
    seed: int = 1

    def ir(self):  # type: ignore[no-untyped-def]
        return random_ir(hidden=self.n, block_size=self.m, input_dim=self.d,
                         outputs=self.outputs, seed=self.seed, name=f"pnr_{self.name}")

    def options(self) -> EmitOptions:
        return EmitOptions(target="verilog", pipeline=self.pipeline,
                           interleave=self.interleave, fold=self.fold)


CONFIGS: tuple[Config, ...] = (
    Config(name="n16_p1", n=16, m=16),
    Config(name="n16_p3_b3", n=16, m=16, pipeline=3, interleave=3),
    Config(name="n16_p6_b6", n=16, m=16, pipeline=6, interleave=6),
    Config(name="n32_p1", n=32, m=32),
    Config(name="n32_p7_b7", n=32, m=32, pipeline=7, interleave=7),
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
    res = place_route_ecp5(sources, top=project["top"], workdir=folder / "pnr", clock_ns=5.0)
    est = estimate(cfg.ir(), board=board("pynq-z2"), pipeline=cfg.pipeline,
                   interleave=cfg.interleave, fold=cfg.fold)
    return {"key": key, "n": cfg.n, "m": cfg.m, "pipeline": cfg.pipeline,
            "interleave": cfg.interleave, "fold": cfg.fold, "d": cfg.d, "outputs": cfg.outputs,
            "cycles_per_step": est.timing.cycles_per_step, **res.to_json(),
            "wall_s": round(time.perf_counter() - start, 1),
            "estimate_xc7": {"lut": est.lut, "ff": est.ff}}


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
        r = stored[cfg.name]
        print(f"# {cfg.name}: {r['fmax_mhz']} MHz, {r['synth']['lut']} LUT4 "  # type: ignore[index]
              f"({r['wall_s']} s)", file=sys.stderr, flush=True)
    print("| design | n | m | P | B | LUT4 | CCU2C | FF | DSP | Fmax (MHz) | steps/s per design "
          "| synth+P&R s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in CONFIGS:
        r = stored.get(cfg.name)
        if not r:
            continue
        s = r["synth"]
        rate = float(r["fmax_mhz"]) * 1e6 / int(r["cycles_per_step"])  # type: ignore[arg-type]
        print(f"| {cfg.name} | {r['n']} | {r['m']} | {r['pipeline']} | {r['interleave']} | "
              f"{s['lut']} | {s['carry']} | {s['ff']} | {s['dsp']} | {r['fmax_mhz']} | "  # type: ignore[index]
              f"{rate / 1e6:.1f} M | {r['wall_s']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
