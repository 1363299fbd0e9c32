"""Text tables and the Pareto plot of resource estimates."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from model import replacing

from ..tools import SynthResult
from ._estimate import Estimate, pareto

_LABELS = {"lut": "LUT", "ff": "FF", "bram36": "BRAM36", "uram": "URAM", "dsp": "DSP"}


def _pct(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:.1f} %"


def _num(v: float) -> str:
    return f"{v:.1f}" if isinstance(v, float) and not v.is_integer() else f"{int(v)}"


def error_percent(estimated: float, measured: float) -> float | None:
    if measured == 0:
        return None if estimated else 0.0
    return 100.0 * (estimated - measured) / measured


def measured_resources(m: SynthResult) -> dict[str, float]:
    return {"lut": m.lut, "ff": m.ff, "bram36": m.bram36, "uram": m.uram, "dsp": m.dsp}


def header(e: Estimate) -> str:
    return (f"{e.ir_name}: n={e.hidden}, m={e.block_size}, {e.datapath} datapath, "
            f"fold {e.fold}, interleave {e.interleave} on {e.board.name} ({e.board.part})")


def clock_line(e: Estimate) -> str:
    t = e.timing
    which = ("the target" if t.clock_ns == t.target_ns else
             f"the estimated post-route clock, below the {1000 / t.target_ns:.0f} MHz target")
    return (f"clock: {t.clock_mhz:.1f} MHz ({which}); estimated Fmax {t.fmax_mhz:.1f} MHz "
            f"on {e.board.family}, critical path: {t.critical_path}")


def timing_line(e: Estimate) -> str:
    t = e.timing
    return (f"timing: {t.cycles_per_step} cycles/step, {t.steps} steps/sequence, "
            f"{e.interleave} sequence(s) per call -> latency {t.latency_cycles} cycles "
            f"= {t.latency_s * 1e6:.2f} us at {t.clock_mhz:.1f} MHz, "
            f"{t.steps_per_s / 1e6:,.2f} M steps/s, {t.sequences_per_s:,.0f} sequences/s")


def table(e: Estimate, measured: SynthResult | None = None) -> str:
    """Components, then resources with utilization, verdict and (optionally) Yosys."""
    lines = [header(e), ""]
    lines.append(f"  {'component':<11} {'adders':>7} {'LUT':>8} {'FF':>8}  detail")
    for c in e.components:
        lines.append(f"  {c.name:<11} {c.adders:>7} {round(c.lut):>8} {round(c.ff):>8}  "
                     f"{c.detail}")
    lines.append("")
    head = f"  {'resource':<8} {'estimate':>9} {'available':>10} {'use':>8}  {'verdict':<12}"
    if measured is not None:
        head += f" {'yosys':>8} {'error':>8}"
    lines.append(head)
    util, fits, avail = e.utilization(), e.fits(), e.available()
    meas = measured_resources(measured) if measured is not None else {}
    for key, used in e.used().items():
        row = (f"  {_LABELS[key]:<8} {_num(used):>9} {_num(avail[key]):>10} "
               f"{_pct(util[key]):>8}  {'fits' if fits[key] else 'DOES NOT FIT':<12}")
        if measured is not None:
            err = error_percent(used, meas[key])
            row += f" {_num(meas[key]):>8} {('n/a' if err is None else f'{err:+.1f} %'):>8}"
        lines.append(row)
    if measured is not None:
        lines.append(f"  (yosys: {measured.carry} carry cells, {measured.lutram} LUTs as "
                     f"RAM, {measured.seconds:.1f} s)")
    lines.append("")
    lines.append(clock_line(e))
    lines.append(timing_line(e))
    worst = max(util, key=lambda k: util[k] if math.isfinite(util[k]) else 1e18)
    verdict = "FITS" if e.fits_all else "DOES NOT FIT"
    lines.append(f"verdict: {verdict} on {e.board.key} (largest use: {_LABELS[worst]} "
                 f"{_pct(util[worst])}), {e.timing.steps_per_s / 1e6:,.2f} M steps/s at "
                 f"{e.timing.clock_mhz:.1f} MHz")
    return "\n".join(line.rstrip() for line in lines)


def comparison(hadamard: Estimate, dense: Estimate,
               measured: dict[str, SynthResult] | None = None) -> str:
    """Hadamard against the dense +-1 baseline, estimated (and measured)."""
    lines = ["", "hadamard vs dense +-1 baseline (same IR, same board, fold 1 for dense):"]
    head = f"  {'':<9} {'LUT':>9} {'FF':>9} {'cycles/step':>12}"
    if measured:
        head += f" {'yosys LUT':>10} {'yosys FF':>9}"
    lines.append(head)
    for e in (hadamard, dense):
        row = f"  {e.datapath:<9} {e.lut:>9} {e.ff:>9} {e.timing.cycles_per_step:>12}"
        if measured and e.datapath in measured:
            m = measured[e.datapath]
            row += f" {m.lut:>10} {m.ff:>9}"
        lines.append(row)
    ratio = dense.lut / hadamard.lut if hadamard.lut else math.inf
    line = f"  dense / hadamard LUT: {ratio:.2f}x estimated"
    if measured and {"hadamard", "dense"} <= set(measured) and measured["hadamard"].lut:
        line += f", {measured['dense'].lut / measured['hadamard'].lut:.2f}x measured"
    lines.append(line)
    return "\n".join(lines)


def board_ranking(rows: Sequence[tuple[Estimate, Estimate | None]]) -> str:
    """One line per board: the requested schedule's use and the fastest fitting fold."""
    lines = [f"  {'board':<12} {'part':<22} {'LUT':>8} {'FF':>8} {'BRAM':>7} {'DSP':>6}  "
             f"{'verdict':<12} fastest fitting fold"]
    for e, best in rows:
        u = e.utilization()
        fit = "fits" if e.fits_all else "DOES NOT FIT"
        if best is None:
            fastest = "none"
        else:
            fastest = (f"F={best.fold}: {best.timing.cycles_per_step} cycles/step, "
                       f"{best.timing.sequences_per_s:,.0f} seq/s")
        lines.append(f"  {e.board.key:<12} {e.board.part:<22} {_pct(u['lut']):>8} "
                     f"{_pct(u['ff']):>8} {_pct(u['bram36']):>7} {_pct(u['dsp']):>6}  "
                     f"{fit:<12} {fastest}")
    return "\n".join(lines)


def plot_pareto(points: Sequence[Estimate], path: str | os.PathLike[str],
                dense: Estimate | None = None) -> Path:
    """LUT against steps per second (at each point's estimated clock) over the
    micro-architectures; board LUT marked.
    Written to a temporary file first, then renamed into place."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    if not points:
        raise ValueError("no estimates to plot")
    board = points[0].board
    front = pareto(list(points))
    fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=120)
    kinds = (("parallel, fold F", "tab:blue",
              lambda e: e.arch == "parallel" and e.pipeline == 1 and e.arith == "csd"),
             ("parallel, pipelined P", "tab:green", lambda e: e.pipeline > 1 and e.arith == "csd"),
             ("parallel, da4ml adder graphs (--arith da)", "tab:orange",
              lambda e: e.arch == "parallel" and e.arith == "da"),
             ("streaming, L lanes", "tab:purple", lambda e: e.arch == "stream"))
    for label, color, test in kinds:
        sel = [e for e in points if test(e)]
        if sel:
            ax.scatter([e.timing.steps_per_s for e in sel], [e.lut for e in sel],
                       color=color, zorder=3, label=label)
    ax.plot([e.timing.steps_per_s for e in front], [e.lut for e in front],
            color="tab:gray", linestyle="--", zorder=2, marker="o", markersize=12,
            markerfacecolor="none", label="Pareto front (circled)")
    # label the front and one point of each fold / pipeline family (they cluster)
    shown = {*map(id, front)}
    for test in (lambda e: e.pipeline > 1 and e.arith == "csd",
                 lambda e: e.pipeline > 1 and e.arith == "da",
                 lambda e: e.arch == "parallel" and e.fold > 1):
        family = [e for e in points if test(e)]
        if family:
            shown.add(id(max(family, key=lambda e: e.timing.steps_per_s)))
    for e in points:
        if id(e) in shown:
            ax.annotate(e.label, (e.timing.steps_per_s, e.lut),
                        textcoords="offset points", xytext=(5, -10), fontsize=7)
    if dense is not None:
        ax.scatter([dense.timing.steps_per_s], [dense.lut], marker="s",
                   color="tab:red", zorder=3, label="dense +-1 baseline")
    ax.axhline(board.lut, color="tab:gray", linestyle=":",
               label=f"{board.name}: {board.lut:,} LUT")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time steps per second (all sequences, at the estimated clock)")
    ax.set_xlim(right=ax.get_xlim()[1] * 4)   # room for the labels
    ax.set_ylabel("LUTs (estimate)")
    e0 = points[0]
    ax.set_title(f"{e0.ir_name}: n={e0.hidden}, m={e0.block_size}, {board.name}",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    try:
        with replacing(out) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return out
