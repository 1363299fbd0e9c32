"""Post-route clock and cells of emitted designs: Yosys + nextpnr for ECP5
(LFE5U-85F) and iCE40 (UP5K) inside the registered three-pin harness
(codegen/tools/_harness.py), plus Yosys synth_xilinx cells.

    .venv/bin/python bench/bench_pnr.py                 # every configuration below
    .venv/bin/python bench/bench_pnr.py --only n16_p1,n16_p6
    .venv/bin/python bench/bench_pnr.py --fit           # refit the clock model, no runs
    .venv/bin/python bench/bench_pnr.py --plot 64       # docs/pareto_n64_pnr.png, no runs
    .venv/bin/python bench/bench_pnr.py --plot 128      # copy model: docs/pareto_n128_xc7.png

Each finished row is merged into the results file as it is on disk, so two runs
with different ``--only`` lists may share it; ``BENCH_PNR_RESULTS=FILE`` sends
the rows to another file instead, ``BENCH_PNR_BUILD=DIR`` the work folders.

Each run is cached by a hash of the emitted Verilog (rerun = free) in
bench/results/pnr_ecp5.json, which is committed; the table goes to stdout
(BENCHMARKS.md).  synth_ecp5 of an n = 16 design takes minutes on the shared
2-core machine, so keep this out of the test suite.
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

from codegen import EmitOptions, render, write_project  # noqa: E402
from codegen.estimate import DELAY_MODELS, DelayModel, board, estimate, paths  # noqa: E402
from codegen.hw import describe  # noqa: E402
from codegen.project import rtl_key  # noqa: E402
from codegen.tools import place_route, synthesize  # noqa: E402
from model import load_ir, random_ir  # noqa: E402

RESULTS = Path(os.environ.get("BENCH_PNR_RESULTS", ROOT / "bench" / "results" / "pnr_ecp5.json"))
CALIBRATION = ROOT / "tests" / "baselines" / "fmax_pnr.json"
BUILD = Path(os.environ.get("BENCH_PNR_BUILD", ROOT / "build" / "bench_pnr"))


@dataclass(frozen=True, kw_only=True)
class Config:
    name: str
    n: int
    m: int
    pipeline: int = 1
    interleave: int = 1
    fold: int = 1
    arch: str = "parallel"
    lanes: int = 1
    reuse: int = 1
    arith: str = "csd"
    d: int = 10
    outputs: int = 9
    seed: int = 1
    ir_path: str | None = None     #: a committed IR instead of a random one
    families: tuple[str, ...] = ("ecp5",)
    held_out: bool = False         #: not used to fit the clock model, only to check it
    timeout_s: float = 3600.0      #: per Yosys / nextpnr run

    def ir(self):  # type: ignore[no-untyped-def]
        if self.ir_path:
            return load_ir(ROOT / self.ir_path)
        return random_ir(hidden=self.n, block_size=self.m, input_dim=self.d,
                         outputs=self.outputs, seed=self.seed, name=f"pnr_{self.name}")

    def ir_spec(self) -> dict[str, object]:
        """How tests/baselines/fmax_pnr.json rebuilds the IR."""
        if self.ir_path:
            return {"path": self.ir_path}
        return {"hidden": self.n, "block_size": self.m, "input_dim": self.d,
                "outputs": self.outputs, "seed": self.seed, "name": f"pnr_{self.name}"}

    def options(self) -> EmitOptions:
        return EmitOptions(target="verilog", pipeline=self.pipeline, arch=self.arch,  # type: ignore[arg-type]
                           interleave=self.interleave, fold=self.fold, lanes=self.lanes,
                           reuse=self.reuse,
                           arith=self.arith)  # type: ignore[arg-type]


CONFIGS: tuple[Config, ...] = (
    Config(name="n16_p1", n=16, m=16, families=("ecp5", "xc7")),
    Config(name="n16_p3_b3", n=16, m=16, pipeline=3, interleave=3, families=("ecp5", "xc7")),
    Config(name="n16_p6_b6", n=16, m=16, pipeline=6, interleave=6, families=("ecp5", "xc7")),
    Config(name="n32_p1", n=32, m=32),
    Config(name="n32_p7_b7", n=32, m=32, pipeline=7, interleave=7),
    Config(name="n16_stream_b2", n=16, m=16, arch="stream", interleave=2,
           families=("ecp5", "ice40", "xc7")),
    # more small designs for the clock model's fit and its held-out check
    Config(name="n8_p1", n=8, m=8),
    Config(name="n16_f2", n=16, m=16, fold=2),
    Config(name="n16_p2_b2", n=16, m=16, pipeline=2, interleave=2, held_out=True),
    # the rest of n = 16's depths, so its parallel table runs P = 1 ... 6
    Config(name="n16_p4_b4", n=16, m=16, pipeline=4, interleave=4, held_out=True,
           families=("ecp5", "xc7")),
    Config(name="n16_p5_b5", n=16, m=16, pipeline=5, interleave=5, held_out=True,
           families=("ecp5", "xc7")),
    Config(name="n32_m8_stream_b1", n=32, m=8, arch="stream", interleave=1, held_out=True),
    Config(name="n32_p4_b4", n=32, m=32, pipeline=4, interleave=4, held_out=True,
           families=("ecp5", "xc7")),
    # n = 64 (the Pareto front): parallel, pipelined, streaming
    Config(name="n64_stream_b2", n=64, m=64, arch="stream", interleave=2,
           families=("ecp5", "ice40", "xc7")),
    Config(name="n64_stream_l2_b2", n=64, m=64, arch="stream", lanes=2, interleave=2,
           held_out=True),
    Config(name="n64_stream_l4_b2", n=64, m=64, arch="stream", lanes=4, interleave=2),
    Config(name="n64_stream_l8_b2", n=64, m=64, arch="stream", lanes=8, interleave=2,
           held_out=True),
    Config(name="n64_stream_l16_b3", n=64, m=64, arch="stream", lanes=16, interleave=3,
           held_out=True),
    # one lane, each slice held R cycles: the U x and readout adders shared
    Config(name="n64_stream_r10_b2", n=64, m=64, arch="stream", reuse=10, interleave=2,
           families=("ecp5", "ice40", "xc7"), held_out=True),
    Config(name="n64_stream_r4_b2", n=64, m=64, arch="stream", reuse=4, interleave=2,
           families=("ecp5", "xc7"), held_out=True),
    Config(name="n64_stream_r2_b2", n=64, m=64, arch="stream", reuse=2, interleave=2,
           families=("ecp5", "xc7"), held_out=True),
    Config(name="n64_p8_b8", n=64, m=64, pipeline=8, interleave=8),
    # one more interleaved sequence than stages: the ring gets a second state
    # register, so the loop's write (after saturation) and read (into the
    # butterflies) are different registers the placer can put apart
    Config(name="n64_p8_b9", n=64, m=64, pipeline=8, interleave=9),
    Config(name="n16_p6_b7", n=16, m=16, pipeline=6, interleave=7),
    Config(name="n64_p1", n=64, m=64),
    # the trained copy-task model (n = 128, 4-bit U/V, 16-bit state, 10 inputs, 9 outputs)
    Config(name="copy200_stream_b2", n=128, m=128, arch="stream", interleave=2,
           ir_path="examples/copy200", families=("ice40", "ecp5", "xc7")),
    Config(name="copy200_stream_r10_b2", n=128, m=128, arch="stream", reuse=10,
           interleave=2, ir_path="examples/copy200", families=("ice40", "ecp5", "xc7"),
           held_out=True),
    Config(name="copy200_stream_l4_b2", n=128, m=128, arch="stream", lanes=4, interleave=2,
           ir_path="examples/copy200", families=("ecp5", "xc7")),
    # the copy-task model trained with the 8-bit 1/sqrt(2) (examples/copy200_f8), one
    # step per cycle over nine interleaved sequences: the PYNQ-Z2 target (xc7 LUT)
    Config(name="copy200_f8_p9_b9", n=128, m=128, pipeline=9, interleave=9,
           ir_path="examples/copy200_f8", families=("xc7",), timeout_s=7200.0),
    # its smallest points (the streaming form), on the same IR
    Config(name="copy200_f8_stream_b2", n=128, m=128, arch="stream", interleave=2,
           ir_path="examples/copy200_f8", families=("xc7",)),
    Config(name="copy200_f8_stream_r10_b2", n=128, m=128, arch="stream", reuse=10,
           interleave=2, ir_path="examples/copy200_f8", families=("ecp5", "xc7"),
           held_out=True),
    Config(name="copy200_f8_stream_l4_b2", n=128, m=128, arch="stream", lanes=4, interleave=2,
           ir_path="examples/copy200_f8", families=("xc7",)),
    # sixteen and eight lanes with the registered Booth readout: the point with
    # fewer LUTs than FINN's LSTM at >= 10 M steps/s (xc7 LUT, ECP5 clock)
    Config(name="copy200_f8_stream_l16_b3_da", n=128, m=128, arch="stream", lanes=16,
           interleave=3, arith="da", ir_path="examples/copy200_f8", families=("ecp5", "xc7")),
    Config(name="copy200_f8_stream_l8_b2_da", n=128, m=128, arch="stream", lanes=8,
           interleave=2, arith="da", ir_path="examples/copy200_f8", families=("ecp5", "xc7")),
    # --arith da: da4ml adder graphs for the readout and x 1/sqrt(2)
    Config(name="copy200_f8_p9_b9_da", n=128, m=128, pipeline=9, interleave=9,
           arith="da", ir_path="examples/copy200_f8", families=("xc7",),
           timeout_s=7200.0),
    Config(name="copy200_p9_b9_da", n=128, m=128, pipeline=9, interleave=9, arith="da",
           ir_path="examples/copy200", families=("xc7",), timeout_s=7200.0),
    Config(name="copy200_f8_p1_da", n=128, m=128, arith="da",
           ir_path="examples/copy200_f8", families=("xc7",), timeout_s=7200.0),
    Config(name="n16_p1_da", n=16, m=16, arith="da", families=("ecp5", "xc7")),
    Config(name="n16_p6_b6_da", n=16, m=16, pipeline=6, interleave=6, arith="da",
           families=("ecp5", "xc7")),
    Config(name="n32_p7_b7_da", n=32, m=32, pipeline=7, interleave=7, arith="da",
           families=("ecp5", "xc7")),
    Config(name="n32_p1_da", n=32, m=32, arith="da", held_out=True),
    Config(name="n64_p8_b8_da", n=64, m=64, pipeline=8, interleave=8, arith="da"),
)


def run(cfg: Config, stored: dict[str, dict[str, object]]) -> dict[str, object]:
    files = render(cfg.ir(), cfg.options())
    key = rtl_key(files)
    old = stored.get(cfg.name)
    families = cfg.families
    if old and old.get("key") == key:
        # the same RTL: run only the families added to the configuration since
        families = tuple(f for f in cfg.families if f not in old)
        if not families:
            return old
    folder = BUILD / cfg.name
    write_project(files, folder / "project", force=True)
    project = json.loads(files["project.json"])  # type: ignore[arg-type]
    sources = [folder / "project" / s for s in project["sources"]]
    start = time.perf_counter()
    row: dict[str, object] = dict(old) if old and old.get("key") == key else {
        "key": key, "n": cfg.n, "m": cfg.m, "pipeline": cfg.pipeline, "arch": cfg.arch,
        "lanes": cfg.lanes, **({"reuse": cfg.reuse} if cfg.reuse > 1 else {}),
        "interleave": cfg.interleave, "fold": cfg.fold, "d": cfg.d, "outputs": cfg.outputs,
        "cycles_per_step": int(project["design"]["schedule"]["cycles_per_beat"])}
    parts = {"ecp5": "LFE5U-85F-6BG381C", "ice40": "iCE40UP5K-SG48"}
    for family in families:
        print(f"#   {family} ...", file=sys.stderr, flush=True)
        if family == "xc7":
            syn = synthesize(sources, top=project["top"], family="xc7",
                             workdir=folder / "xc7", timeout_s=cfg.timeout_s)
            row["xc7"] = syn.to_json()
            continue
        try:
            res = place_route(sources, top=project["top"], family=family, part=parts[family],
                              workdir=folder / family, clock_ns=5.0,
                              timeout_s=cfg.timeout_s)
            row[family] = res.to_json()
        except Exception as exc:  # noqa: BLE001 - a failing run is recorded, not fatal
            row[family] = {"error": " ".join(str(exc).split())}
    row["wall_s"] = round(float(row.get("wall_s", 0.0)) + time.perf_counter() - start, 1)  # type: ignore[arg-type]
    est = estimate(cfg.ir(), board=board("pynq-z2"), pipeline=cfg.pipeline,
                   interleave=cfg.interleave, fold=cfg.fold, arch=cfg.arch, lanes=cfg.lanes,
                   arith=cfg.arith, reuse=cfg.reuse)
    row["estimate_xc7"] = {"lut": est.lut, "ff": est.ff}
    return row


def measured_on_current_rtl(cfg: Config, row: dict[str, object]) -> bool:
    """Whether ``row`` was measured on the RTL codegen emits for ``cfg`` today."""
    return rtl_key(render(cfg.ir(), cfg.options())) == row["key"]


def calibration_rows(stored: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    """Measured clocks (and xc7 cells) of the rows whose stored RTL is what codegen
    emits today; a row synthesized for xc7 only (the n = 128 copy model, too
    large for the ECP5-85) has no clock."""
    rows = []
    for cfg in CONFIGS:
        r = stored.get(cfg.name)
        ecp5 = r.get("ecp5") if r else None
        xc7_only = (r is not None and not isinstance(ecp5, dict)
                    and isinstance(r.get("xc7"), dict) and "lut" in r["xc7"])  # type: ignore[index, operator]
        if not xc7_only and (not isinstance(ecp5, dict) or "fmax_mhz" not in ecp5):
            continue
        if not measured_on_current_rtl(cfg, r):  # type: ignore[arg-type]
            print(f"# {cfg.name}: stored run is of older RTL, not used", file=sys.stderr)
            continue
        ice = r.get("ice40")  # type: ignore[union-attr]
        xc7 = r.get("xc7")  # type: ignore[union-attr]
        rows.append({"name": cfg.name, "ir": cfg.ir_spec(), "key": r["key"],  # type: ignore[index]
                     "options": {"pipeline": cfg.pipeline, "interleave": cfg.interleave,
                                 "fold": cfg.fold, "arch": cfg.arch, "lanes": cfg.lanes,
                                 "arith": cfg.arith,
                                 **({"reuse": cfg.reuse} if cfg.reuse > 1 else {})},
                     "held_out": cfg.held_out,
                     "ecp5_fmax_mhz": None if xc7_only else ecp5["fmax_mhz"],  # type: ignore[index]
                     "ice40_fmax_mhz": ice.get("fmax_mhz") if isinstance(ice, dict) else None,
                     "xc7": ({"lut": xc7["lut"], "ff": xc7["ff"]}
                             if isinstance(xc7, dict) and "lut" in xc7 else None)})
    return rows


def fit(rows: list[dict[str, object]]) -> None:
    """Least squares on log delay over the fitting rows; prints the coefficients."""
    import numpy as np
    from scipy.optimize import least_squares

    data = []
    for row in rows:
        if not row["ecp5_fmax_mhz"]:
            continue          # synthesized only (xc7): no clock to fit
        cfg = next(c for c in CONFIGS if c.name == row["name"])
        design = describe(cfg.ir(), cfg.options())
        lut = estimate(cfg.ir(), board=board("pynq-z2"), pipeline=cfg.pipeline,
                       interleave=cfg.interleave, fold=cfg.fold, arch=cfg.arch,
                       lanes=cfg.lanes, arith=cfg.arith).lut
        data.append((row, paths(design), lut))
    fitting = [d for d in data if not d[0]["held_out"]]

    names = ("t0", "t_adder", "t_bit", "t_lut", "size", "t_fanout")

    def model(x, ps, lut):  # type: ignore[no-untyped-def]
        """The slowest path's delay under the library's own DelayModel."""
        m = DelayModel(**{k: float(v) for k, v in zip(names, x, strict=True)})
        return max(m.delay_ns(p, lut) for p in ps)

    def resid(x):  # type: ignore[no-untyped-def]
        return [np.log(model(x, ps, lut) * float(r["ecp5_fmax_mhz"]) / 1000.0)
                for r, ps, lut in fitting]

    x0 = [1.0, 1.5, 0.05, 1.0, 0.1, 2.5]
    sol = least_squares(resid, x0, bounds=([0, 0, 0, 0.2, 0, 0], [10, 5, 0.2, 3, 1, 10]))
    fitted = ", ".join(f"{k}={round(float(v), 4)}" for k, v in zip(names, sol.x, strict=True))
    print(f'"ecp5": DelayModel({fitted}),')
    ratios = [float(r["ecp5_fmax_mhz"]) / float(r["ice40_fmax_mhz"])  # type: ignore[arg-type]
              for r, _, _ in data if r["ice40_fmax_mhz"]]
    if ratios:
        print(f"ICE40_SCALE = {float(np.exp(np.mean(np.log(ratios)))):.3f}  "
              f"(ECP5 / iCE40 clock over {len(ratios)} designs)")
    print("| design | held out | ECP5 MHz | model MHz (fitted now) | error |")
    print("|---|---|---|---|---|")
    for r, ps, lut in data:
        est = 1000.0 / model(sol.x, ps, lut)
        meas = float(r["ecp5_fmax_mhz"])  # type: ignore[arg-type]
        print(f"| {r['name']} | {'yes' if r['held_out'] else ''} | {meas:.1f} | {est:.1f} | "
              f"{100 * (est - meas) / meas:+.1f} % |")


def comb_cells(f: dict[str, object]) -> int:
    """Placed logic cells of a run: nextpnr's TRELLIS_COMB (ECP5: LUT4s and the
    two halves of every CCU2C carry cell) or ICESTORM_LC (iCE40); Yosys's LUT4
    count alone misses the adders that map to carry cells."""
    util = f.get("utilization") or {}
    for kind in ("TRELLIS_COMB", "ICESTORM_LC"):
        if kind in util:  # type: ignore[operator]
            return int(util[kind]["used"])  # type: ignore[index]
    return int(f["synth"]["lut"])  # type: ignore[index]


def plot(stored: dict[str, dict[str, object]], n: int, path: Path) -> None:
    """Measured logic cells against measured steps/s (post-route ECP5 clock /
    cycles per beat) of every placed-and-routed design of hidden size ``n``,
    front marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from model import replacing

    pts = []
    for cfg in CONFIGS:
        r = stored.get(cfg.name)
        f = r.get("ecp5") if r else None
        if cfg.n != n or not isinstance(f, dict) or "fmax_mhz" not in f:
            continue
        if not measured_on_current_rtl(cfg, r):  # type: ignore[arg-type]
            continue   # measured on older RTL
        rate = float(f["fmax_mhz"]) * 1e6 / int(r["cycles_per_step"])  # type: ignore[index]
        label = (f"stream L={cfg.lanes}" + (f" R={cfg.reuse}" if cfg.reuse > 1 else "")
                 if cfg.arch == "stream" else
                 f"P={cfg.pipeline}" if cfg.pipeline > 1 else f"F={cfg.fold}")
        da = " da" if cfg.arith == "da" else ""
        pts.append((comb_cells(f), rate, f"{label} B={cfg.interleave}{da}",
                    float(f["fmax_mhz"])))
    if not pts:
        return
    pts.sort()
    front, best = [], 0.0
    for p in pts:
        if p[1] > best:
            front.append(p)
            best = p[1]
    fig, ax = plt.subplots(figsize=(9.0, 4.4), dpi=120)
    ax.scatter([p[1] for p in pts], [p[0] for p in pts], color="tab:blue", zorder=3)
    ax.plot([p[1] for p in front], [p[0] for p in front], color="tab:gray", linestyle="--",
            zorder=2, label="Pareto front (measured)")
    # each point numbered, the numbers explained beside the plot (the pipelined
    # variants sit too close together for labels)
    key = []
    for i, (lut, rate, label, fmax) in enumerate(pts, start=1):
        ax.annotate(str(i), (rate, lut), textcoords="offset points", xytext=(4, 4), fontsize=7)
        key.append(f"{i}: {label}, {fmax:.0f} MHz, {lut:,} cells")
    ax.text(1.02, 1.0, "\n".join(key), transform=ax.transAxes, fontsize=7, va="top")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time steps per second at the post-route clock (nextpnr-ecp5)")
    ax.set_ylabel("logic cells: LUT4 + carry halves (nextpnr-ecp5)")
    ax.set_title(f"n = {n}: every point placed and routed on an LFE5U-85F", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    print(f"# plot written to {path}", file=sys.stderr)


def plot_copy(stored: dict[str, dict[str, object]], path: Path) -> None:
    """The n = 128 copy-task model (examples/copy200_f8): the estimator's points
    (LUT against steps/s at the estimated clock, every architecture) with the
    Yosys xc7 LUT of each configuration synthesized, at the same steps/s."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from codegen.estimate import arch_points, pareto
    from model import replacing

    ir = load_ir(ROOT / "examples" / "copy200_f8")
    b = board("pynq-z2")
    points = arch_points(ir, board=b)
    front = pareto(points)
    fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=120)
    kinds = (("estimate: parallel, CSD", "tab:blue", lambda e: e.arch == "parallel"
              and e.arith == "csd"),
             ("estimate: parallel, --arith da", "tab:orange", lambda e: e.arith == "da"),
             ("estimate: streaming", "tab:purple", lambda e: e.arch == "stream"))
    for label, color, test in kinds:
        sel = [e for e in points if test(e)]
        ax.scatter([e.timing.steps_per_s for e in sel], [e.lut for e in sel], color=color,
                   alpha=0.5, zorder=3, label=label)
    ax.plot([e.timing.steps_per_s for e in front], [e.lut for e in front], color="tab:gray",
            linestyle="--", zorder=2, label="estimated Pareto front")
    for cfg in CONFIGS:
        r = stored.get(cfg.name)
        x = r.get("xc7") if r else None
        if cfg.ir_path != "examples/copy200_f8" or not isinstance(x, dict) or "lut" not in x:
            continue
        if not measured_on_current_rtl(cfg, r):  # type: ignore[arg-type]
            continue
        e = estimate(ir, board=b, pipeline=cfg.pipeline, interleave=cfg.interleave,
                     arch=cfg.arch, lanes=cfg.lanes, arith=cfg.arith, reuse=cfg.reuse)
        ax.scatter([e.timing.steps_per_s], [x["lut"]], marker="x", s=70, color="black",
                   zorder=4)
        ax.annotate(f"{e.label}: {x['lut']:,} LUT", (e.timing.steps_per_s, x["lut"]),
                    textcoords="offset points", xytext=(6, -12), fontsize=7)
    ax.scatter([], [], marker="x", color="black", label="Yosys synth_xilinx LUT (measured)")
    ax.axhline(b.lut, color="tab:gray", linestyle=":", label=f"{b.name}: {b.lut:,} LUT")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time steps per second (all sequences, at the estimated xc7 clock)")
    ax.set_ylabel("LUTs")
    ax.set_title("copy-task model (n = m = 128, 8-bit 1/sqrt(2)) on the PYNQ-Z2", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    print(f"# plot written to {path}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    ap.add_argument("--plot", metavar="N", type=int, default=None,
                    help="write docs/pareto_n<N>_pnr.png from the stored runs, no runs")
    ap.add_argument("--fit", action="store_true",
                    help="write tests/baselines/fmax_pnr.json and refit the clock model")
    ap.add_argument("--table", action="store_true", help="print the stored rows, no runs")
    args = ap.parse_args()
    os.environ.setdefault("XDG_CACHE_HOME", str(ROOT / "build" / "cache"))
    stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.plot == 128:
        plot_copy(stored, ROOT / "docs" / "pareto_n128_xc7.png")
        return 0
    if args.plot:
        plot(stored, args.plot, ROOT / "docs" / f"pareto_n{args.plot}_pnr.png")
        return 0
    if args.table:
        table(stored)
        return 0
    if args.fit:
        rows = calibration_rows(stored)
        CALIBRATION.write_text(json.dumps(rows, indent=1) + "\n")
        print(f"current model: {DELAY_MODELS['ecp5']}")
        fit(rows)
        return 0
    for cfg in CONFIGS:
        if args.only and cfg.name not in args.only.split(","):
            continue
        print(f"# {cfg.name} ...", file=sys.stderr, flush=True)
        row = run(cfg, stored)
        # merge into the file as it is now: another bench_pnr run may have added rows
        stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        stored[cfg.name] = row
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        tmp = RESULTS.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, RESULTS)
        print(f"# {cfg.name}: done ({stored[cfg.name]['wall_s']} s)", file=sys.stderr, flush=True)
    table(stored)
    return 0


def table(stored: dict[str, dict[str, object]]) -> None:
    print("| design | arch | n | P | F | L | B | cycles/step | family | LUT (LUT4) | carry | "
          "placed cells | FF | RAM | DSP | Fmax MHz | M steps/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in CONFIGS:
        r = stored.get(cfg.name)
        if not r:
            continue
        name = cfg.name if measured_on_current_rtl(cfg, r) else f"{cfg.name} (older RTL)"
        for family in ("xc7", "ecp5", "ice40"):
            f = r.get(family)
            if not isinstance(f, dict):
                continue
            reuse = f" (R={r['reuse']})" if int(r.get("reuse", 1)) > 1 else ""  # type: ignore[call-overload]
            head = (f"| {name} | {r.get('arch', 'parallel')} | {r['n']} | {r['pipeline']} | "
                    f"{r['fold']} | {r.get('lanes', 1)}{reuse} | {r['interleave']} | "
                    f"{r['cycles_per_step']} | {family} |")
            if "error" in f:
                print(f"{head} failed: {f['error'][:80]} ||||||||")
                continue
            s = f["synth"] if "synth" in f else f
            ram = s.get("ebr4k") or s.get("bram36") or 0
            ram = f"{ram} + {s['lutram']} LUTRAM" if s.get("lutram") else ram
            fmax = f.get("fmax_mhz")
            rate = f"{float(fmax) / int(r['cycles_per_step']):.2f}" if fmax else "-"
            placed = comb_cells(f) if "utilization" in f else "-"
            print(f"{head} {s['lut']} | {s['carry']} | {placed} | {s['ff']} | {ram} | "
                  f"{s['dsp']} | {fmax or '-'} | {rate} |")


if __name__ == "__main__":
    sys.exit(main())
