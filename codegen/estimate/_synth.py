"""Emit the Verilog design of an estimate and measure it with Yosys."""

from __future__ import annotations

import json
import os
from pathlib import Path

from model import DeploymentIR

from .._targets import render
from ..hw import EmitOptions
from ..project import PROJECT_JSON, write_project
from ..tools import SynthResult, place_route, synthesize
from ._estimate import Estimate


def emit_rtl(ir: DeploymentIR, est: Estimate, out: str | os.PathLike[str]) -> tuple[
        list[Path], str]:
    """Render the Verilog target for ``est``'s schedule into ``out``."""
    options = EmitOptions(target="verilog", fold=est.fold, interleave=est.interleave,
                          part=est.board.part, clock_ns=est.timing.target_ns,
                          datapath=est.datapath, pipeline=est.pipeline,
                          arch=est.arch, lanes=est.lanes,  # type: ignore[arg-type]
                          arith=est.arith, reuse=est.reuse)  # type: ignore[arg-type]
    files = render(ir, options)
    project = json.loads(files[PROJECT_JSON])
    sources, top = list(project["sources"]), str(project["top"])
    root = write_project(files, out)
    return [Path(root) / s for s in sources], top


def measure(ir: DeploymentIR, est: Estimate, build: str | os.PathLike[str],
            *, pnr: bool = False) -> tuple[SynthResult, float | None]:
    """Emit, synthesize with Yosys for the board's family, optionally place and
    route (nextpnr-ice40 for iCE40 boards, else nextpnr-ecp5 on an LFE5U-85F, the
    open stand-in).  Returns the cell counts and Fmax in MHz (or None)."""
    base = Path(build) / (f"{est.arch}_{est.datapath}_f{est.fold}_p{est.pipeline}"
                          f"_l{est.lanes}_b{est.interleave}_{est.arith}"
                          + (f"_r{est.reuse}" if est.reuse > 1 else ""))
    sources, top = emit_rtl(ir, est, base / "rtl")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path(build) / "cache")
    result = synthesize(sources, top=top, family=est.board.family, workdir=base / "yosys",
                        cache_dir=cache)
    fmax = None
    if pnr:
        if est.board.family == "ice40":
            fmax = place_route(sources, top=top, family="ice40", part=est.board.part,
                               workdir=base / "pnr", clock_ns=est.timing.target_ns).fmax_mhz
        else:
            fmax = place_route(sources, top=top, family="ecp5", part="LFE5U-85F-6BG381C",
                               workdir=base / "pnr_ecp5", clock_ns=est.timing.target_ns).fmax_mhz
    return result, fmax
