"""Emit the Verilog design of an estimate and measure it with Yosys."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from model import DeploymentIR, FlowError

from ._estimate import Estimate
from ._passes import EmitOptions
from ._targets import render
from ._writer import write_project
from ._yosys import SynthResult, place_route_ice40, synthesize

_MODULE = re.compile(r"^\s*module\s+(\w+)", re.M)
_INSTANCE = re.compile(r"^\s*(\w+)\s+(?:#\s*\(.*?\)\s*)?\w+\s*\(", re.M | re.S)


def rtl_sources(files: dict[str, str]) -> tuple[list[str], str]:
    """The synthesizable Verilog files of a rendered project and its top module
    (the one module no other module instantiates); test benches are skipped."""
    sources = sorted(p for p in files
                     if p.endswith((".v", ".sv")) and not re.search(r"(^|/)(tb|test)", p))
    if not sources:
        raise FlowError("the verilog target rendered no Verilog sources to synthesize")
    defined: list[str] = []
    used: set[str] = set()
    for p in sources:
        text = re.sub(r"//[^\n]*|/\*.*?\*/", "", files[p], flags=re.S)
        defined += _MODULE.findall(text)
        used.update(_INSTANCE.findall(text))
    tops = [m for m in defined if m not in used]
    if not tops:
        raise FlowError("cannot find the top module of the rendered Verilog")
    return sources, tops[0]


def emit_rtl(ir: DeploymentIR, est: Estimate, out: str | os.PathLike[str]) -> tuple[
        list[Path], str]:
    """Render the Verilog target for ``est``'s schedule into ``out``."""
    options = EmitOptions(target="verilog", fold=est.fold, interleave=est.interleave,
                          part=est.board.part, clock_ns=est.timing.clock_ns,
                          datapath=est.datapath)  # type: ignore[arg-type]
    files = render(ir, options)
    sources, top = rtl_sources(files)
    project = json.loads(files.get("project.json", "{}"))
    if isinstance(project.get("top"), str) and isinstance(project.get("sources"), list):
        sources, top = sorted(project["sources"]), project["top"]
    root = write_project(files, out)
    return [Path(root) / s for s in sources], top


def measure(ir: DeploymentIR, est: Estimate, build: str | os.PathLike[str],
            *, pnr: bool = False) -> tuple[SynthResult, float | None]:
    """Emit, synthesize with Yosys for the board's family, optionally place and
    route (iCE40 only).  Returns the cell counts and Fmax in MHz (or None)."""
    base = Path(build) / f"{est.datapath}_f{est.fold}_b{est.interleave}"
    sources, top = emit_rtl(ir, est, base / "rtl")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path(build) / "cache")
    result = synthesize(sources, top=top, family=est.board.family, workdir=base / "yosys",
                        cache_dir=cache)
    fmax = None
    if pnr:
        if est.board.family != "ice40":
            raise FlowError(f"--pnr places and routes iCE40 designs only; board "
                            f"{est.board.key!r} is {est.board.family}")
        fmax = place_route_ice40(sources, top=top, part=est.board.part,
                                 workdir=base / "pnr", clock_ns=est.timing.clock_ns)
    return result, fmax
