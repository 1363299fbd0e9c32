"""Sweep tables (CSV, Markdown) and the Pareto plot (LUT vs time steps per second).

Every figure comes from the stored results; wall times are left out so that
the same sweep gives the same files however it was run.  LUT is Yosys' count
when the sweep synthesized, else the estimate; steps per second is measured
(nextpnr's Fmax / cycles per step) when the sweep placed and routed, else
estimated.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model import atomic_write, replacing

COLUMNS: tuple[str, ...] = (
    "index", "name", "status", "board", "hidden", "block", "bits", "state_bits", "arch",
    "fold", "pipeline", "interleave", "lanes", "datapath", "arith", "cycles_per_step", "est_lut",
    "est_ff", "est_bram36", "est_fits", "est_fmax_mhz", "est_clock_mhz", "est_steps_per_s",
    "yosys_family",
    "yosys_lut", "yosys_ff", "yosys_carry", "yosys_bram36", "yosys_dsp", "lut_error_pct",
    "pnr_family", "fmax_mhz", "pnr_steps_per_s", "lut", "steps_per_s", "fits", "pareto", "error")


def lut_of(r: dict[str, Any]) -> float | None:
    """The LUT figure a point is ranked by: Yosys when measured, else the estimate."""
    if "synth" in r:
        return float(r["synth"]["lut"])
    return float(r["estimate"]["lut"]) if "estimate" in r else None


def rate_of(r: dict[str, Any]) -> float | None:
    """Time steps per second: measured after place and route, else estimated."""
    if "pnr" in r:
        return float(r["pnr"]["steps_per_s"])
    return float(r["estimate"]["steps_per_s"]) if "estimate" in r else None


def fits(r: dict[str, Any]) -> bool:
    """The point fits its board: the estimate says so, and Yosys' LUT when measured."""
    e = r.get("estimate", {})
    lut, cap = lut_of(r), r.get("board", {}).get("lut")
    return bool(e.get("fits")) and (lut is None or cap is None or lut <= cap)


def pareto_keys(records: Sequence[dict[str, Any]]) -> set[str]:
    """Keys of the points that fit their board and are not dominated there in
    (fewer LUT, more steps/s)."""
    ok = [r for r in records if r.get("status") == "ok" and fits(r)
          and lut_of(r) is not None and rate_of(r) is not None]
    front: set[str] = set()
    for r in ok:
        lut, rate = lut_of(r), rate_of(r)
        dominated = any(
            o["point"]["board"] == r["point"]["board"] and o is not r
            and lut_of(o) <= lut and rate_of(o) >= rate  # type: ignore[operator]
            and (lut_of(o) < lut or rate_of(o) > rate)  # type: ignore[operator]
            for o in ok)
        if not dominated:
            front.add(r["key"])
    return front


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v.is_integer() or abs(v) >= 1e5:
            return str(round(v))
        return f"{v:.6g}"
    return str(v)


def rows(records: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """One flat row per point (the CSV columns), in grid order."""
    front = pareto_keys(records)
    out = []
    for r in records:
        p, o = r["point"], r.get("options", {})
        e, s, n = r.get("estimate", {}), r.get("synth"), r.get("pnr")
        err = None
        if s and e:
            err = round(100.0 * (e["lut"] - s["lut"]) / s["lut"], 1) if s["lut"] else None
        row = {
            "index": r["index"], "name": r["name"], "status": r["status"],
            "board": p["board"], "hidden": p["hidden"], "block": p["block"], "bits": p["bits"],
            "state_bits": p["state_bits"], "arch": o.get("arch", p["arch"]),
            "fold": o.get("fold", p["fold"]), "pipeline": o.get("pipeline", p["pipeline"]),
            "interleave": o.get("interleave", p["interleave"]),
            "lanes": o.get("lanes", p["lanes"]), "datapath": o.get("datapath", p["datapath"]),
            "arith": o.get("arith", p.get("arith", "csd")),
            "cycles_per_step": e.get("cycles_per_step"), "est_lut": e.get("lut"),
            "est_ff": e.get("ff"), "est_bram36": e.get("bram36"), "est_fits": e.get("fits"),
            "est_fmax_mhz": e.get("fmax_mhz"), "est_clock_mhz": e.get("clock_mhz"),
            "est_steps_per_s": e.get("steps_per_s"),
            "yosys_family": s and s["family"], "yosys_lut": s and s["lut"],
            "yosys_ff": s and s["ff"], "yosys_carry": s and s["carry"],
            "yosys_bram36": s and s["bram36"], "yosys_dsp": s and s["dsp"],
            "lut_error_pct": err, "pnr_family": n and n["family"],
            "fmax_mhz": n and n["fmax_mhz"], "pnr_steps_per_s": n and n["steps_per_s"],
            "lut": lut_of(r), "steps_per_s": rate_of(r),
            "fits": fits(r) if r["status"] == "ok" else None,
            "pareto": r["key"] in front if r["status"] == "ok" else None,
            "error": r.get("error"),
        }
        out.append({k: _fmt(row[k]) for k in COLUMNS})
    return out


def csv_text(records: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows(records))
    return buf.getvalue()


def _si(v: str) -> str:
    if not v:
        return "-"
    x = float(v)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g}"


def markdown_text(records: Sequence[dict[str, Any]], *, title: str) -> str:
    """A Markdown table of the sweep (a readable subset of the CSV columns); the
    place-and-route columns only when some point was placed and routed."""
    pnr = any("pnr" in r for r in records)
    lines = [f"# Sweep `{title}`", "",
             f"{len(records)} points, {sum(r['status'] != 'ok' for r in records)} failed. "
             "LUT: Yosys when synthesized (the estimate's error beside it), else the "
             "estimate. Clock: the slower of the target and the estimated post-route clock. "
             "Steps/s: time steps of all interleaved sequences per second (clock / cycles "
             "per step" + ("; measured: nextpnr's Fmax / cycles per step" if pnr else "")
             + "). Front: on the board's LUT vs steps/s Pareto front (fitting points only).",
             ""]
    head = ["#", "point", "board", "arch", "P", "B", "cycles/step", "est. LUT",
            "Yosys LUT (err)", "FF", "est. clock MHz", "est. steps/s"]
    if pnr:
        head += ["nextpnr Fmax MHz", "meas. steps/s"]
    head += ["fits", "front", "status"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows(records):
        ylut = (f"{row['yosys_lut']} ({row['lut_error_pct']} %)" if row["lut_error_pct"]
                else row["yosys_lut"] or "-")
        status = "ok" if row["status"] == "ok" else f"error: {row['error']}"
        cells = [row["index"], row["name"], row["board"], row["arch"], row["pipeline"],
                 row["interleave"], row["cycles_per_step"] or "-", row["est_lut"] or "-", ylut,
                 row["yosys_ff"] or row["est_ff"] or "-", row["est_clock_mhz"] or "-",
                 _si(row["est_steps_per_s"])]
        if pnr:
            cells += [row["fmax_mhz"] or "-", _si(row["pnr_steps_per_s"])]
        cells += [row["fits"] or "-", "*" if row["pareto"] == "yes" else "",
                  status.replace("|", "/")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _kind(r: dict[str, Any]) -> str:
    o = r.get("options", {})
    if o.get("arch") == "stream":
        return "stream"
    if o.get("pipeline", 1) > 1:
        return "pipelined"
    return "folded" if o.get("fold", 1) > 1 else "parallel"


_COLORS = {"parallel": "tab:blue", "folded": "tab:orange", "pipelined": "tab:green",
           "stream": "tab:purple"}


def plot_pareto(records: Sequence[dict[str, Any]], path: str | os.PathLike[str], *,
                title: str) -> Path | None:
    """LUT against steps/s, one panel per board, the front joined; None when no
    point succeeded."""
    ok = [r for r in records if r.get("status") == "ok" and lut_of(r) and rate_of(r)]
    if not ok:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    boards = sorted({r["point"]["board"] for r in ok})
    front = pareto_keys(records)
    cols = min(len(boards), 2)
    nrows = math.ceil(len(boards) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(6.4 * cols, 4.8 * nrows), dpi=110,
                             squeeze=False)
    measured_lut = any("synth" in r for r in ok)
    measured_rate = any("pnr" in r for r in ok)
    for ax, b in zip(axes.flat, boards, strict=False):
        pts = [r for r in ok if r["point"]["board"] == b]
        for kind, color in _COLORS.items():
            for fit in (True, False):
                sel = [r for r in pts if _kind(r) == kind and fits(r) == fit]
                if sel:
                    ax.scatter([lut_of(r) for r in sel], [rate_of(r) for r in sel], s=22,
                               zorder=3, label=kind if fit else f"{kind} (does not fit)",
                               color=color if fit else "none", edgecolors=color)
        cap = pts[0].get("board", {}).get("lut")
        if cap and cap <= 20 * max(lut_of(r) or 0 for r in pts):
            ax.axvline(cap, color="tab:red", linestyle=":", label=f"{b}: {cap:,} LUT")
        fr = sorted((r for r in pts if r["key"] in front), key=lambda r: lut_of(r) or 0)
        ax.plot([lut_of(r) for r in fr], [rate_of(r) for r in fr], color="tab:gray",
                linestyle="--", marker="o", markersize=10, markerfacecolor="none", zorder=2,
                label=f"Pareto front ({len(fr)} points)")
        for r in fr:
            ax.annotate(r["name"].rsplit("_", 1)[0] if r["name"].endswith(b) else r["name"],
                        (lut_of(r), rate_of(r)), textcoords="offset points", xytext=(4, 4),
                        fontsize=6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("LUT (Yosys)" if measured_lut else "LUT (estimate)")
        ax.set_ylabel("time steps / s (" + ("nextpnr Fmax" if measured_rate
                                            else "estimated clock") + ")")
        ax.set_title(f"{b}: {len(pts)} points", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(boards):]:
        ax.axis("off")
    fig.suptitle(f"sweep {title}: LUT vs throughput", fontsize=11)
    fig.tight_layout()
    out = Path(path)
    try:
        with replacing(out) as tmp:
            fig.savefig(tmp, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return out


def write_reports(records: Sequence[dict[str, Any]], out: str | os.PathLike[str], *,
                  title: str, plot: bool = True) -> list[Path]:
    """``results.csv``, ``results.md`` and (with ``plot``) ``pareto.png`` in ``out``."""
    folder = Path(out)
    written = []
    for name, text in (("results.csv", csv_text(records)),
                       ("results.md", markdown_text(records, title=title))):
        atomic_write(folder / name, text.encode())
        written.append(folder / name)
    if plot:
        png = plot_pareto(records, folder / "pareto.png", title=title)
        if png is not None:
            written.append(png)
    return written
