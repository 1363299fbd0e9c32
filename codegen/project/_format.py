"""``project.json`` + ``ir/``: what every emitted project holds besides its sources."""

from __future__ import annotations

import json
from typing import Any

from model import ir_files

from .._templates import GENERATED_NOTICE
from ..hw import Design, adder_counts

PROJECT_JSON = "project.json"
PROJECT_FORMAT = "hadamrnn-project"
PROJECT_FORMAT_VERSION = 2
IR_DIR = "ir"

#: A rendered file: text, or bytes for binary files (the IR's weights).
Content = str | bytes


def _manifest(design: Design, *, target: str, sources: list[str], testbench: str | None,
              files: list[str], extra: dict[str, Any]) -> dict[str, Any]:
    g, o = design.geometry, design.options
    return {
        "notice": GENERATED_NOTICE,
        "format": PROJECT_FORMAT,
        "format_version": PROJECT_FORMAT_VERSION,
        "target": target,
        "top": design.top,
        "name": design.name,
        "ident": design.ident,
        "sources": sources,
        "testbench": testbench,
        "ir": IR_DIR,
        "options": {"fold": o.fold, "interleave": o.interleave, "part": o.part,
                    "clock_ns": o.clock_ns, "datapath": o.datapath,
                    "pipeline": o.pipeline, "pipeline_cuts": list(design.pipeline.cuts),
                    "pipeline_pre": design.pipeline.pre,
                    "arch": o.arch, "lanes": o.lanes, "reuse": o.reuse, "arith": o.arith},
        "tb": {"sequences": design.tb_sequences, "steps": design.tb_steps, "seed": o.tb_seed},
        "interface": {"x_width": g.XW, "x_element_width": g.W, "x_signed": g.x_signed,
                      "y_width": g.YW, "y_element_width": g.OW},
        "design": {"hidden": g.n, "block_size": g.m, "input_dim": g.d, "outputs": g.outputs,
                   "readout": design.ir.readout, "schedule": design.schedule.to_json(),
                   "adders": adder_counts(design)},
        **extra,
        "files": files,
    }


def project_files(design: Design, sources: dict[str, str], *, target: str,
                  top_sources: list[str], testbench: str | None = None,
                  extra: dict[str, Any] | None = None) -> dict[str, Content]:
    """The whole project: ``sources`` (already rendered), the IR copy and the
    manifest.  Pure and deterministic; sorted by path."""
    files: dict[str, Content] = dict(sources)
    for name, data in ir_files(design.ir).items():
        files[f"{IR_DIR}/{name}"] = data.decode() if name.endswith(".json") else data
    listing = sorted([*files, PROJECT_JSON])
    doc = _manifest(design, target=target, sources=top_sources, testbench=testbench,
                    files=listing, extra=extra or {})
    files[PROJECT_JSON] = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    return dict(sorted(files.items()))


def rtl_key(files: dict[str, Content]) -> str:
    """A short content hash of a project's ``rtl/`` sources: the key under which
    place-and-route results are cached and calibration rows are stored."""
    import hashlib
    import json

    rtl = {p: t for p, t in files.items() if p.startswith("rtl/")}
    return hashlib.sha256(json.dumps(rtl, sort_keys=True).encode()).hexdigest()[:16]
