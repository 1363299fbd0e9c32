"""``render(design) -> {relative path: content}``: the top function, a types
header (widths from the hardware description), a weights header, a C test bench
with vectors from the integer reference, ``build_prj.tcl``, ``hls_config.cfg``
and a README, plus the shared project manifest and IR copy."""

from __future__ import annotations

import numpy as np

from model import run as reference_run
from model import tb_inputs

from .._templates import environment
from ..hw import Design
from ..project import Content, project_files
from ._context import VitisContext, build_context

TARGET = "vitis"
TB_INPUT = "tb_data/tb_input.dat"
TB_OUTPUT = "tb_data/tb_output.dat"


#: The top function's template of each architecture: the parallel form (one beat
#: per pipelined iteration) or the streaming form (one slice per iteration).
TOP_TEMPLATES: dict[str, str] = {"parallel": "top.cpp.j2", "stream": "stream_top.cpp.j2"}


def _templates(top: str, arch: str) -> tuple[tuple[str, str], ...]:
    """template -> path in the project."""
    return (
        ("types.h.j2", "src/hrnn_types.h"),
        ("weights.h.j2", "src/hrnn_weights.h"),
        ("top.h.j2", f"src/{top}.h"),
        (TOP_TEMPLATES[arch], f"src/{top}.cpp"),
        ("tb.cpp.j2", f"tb/tb_{top}.cpp"),
        ("build_prj.tcl.j2", "build_prj.tcl"),
        ("hls_config.cfg.j2", "hls_config.cfg"),
        ("README.md.j2", "README.md"),
    )


def _rows(arr: np.ndarray) -> str:
    return "".join(" ".join(str(int(v)) for v in row) + "\n" for row in arr)


def tb_vectors(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and expected outputs of the test bench (``model.tb_inputs``)."""
    ir, ctx = design.ir, build_context(design)
    x = tb_inputs(ir, count=ctx.tb_sequences, steps=ctx.tb_steps, seed=ctx.tb_seed)
    y = np.asarray(reference_run(ir, x))
    return x, y.reshape(ctx.tb_sequences, ctx.tb_out_steps, ir.outputs)


def _tb_files(design: Design) -> dict[str, str]:
    x, y = tb_vectors(design)
    s, t, d = x.shape
    return {
        TB_INPUT: f"{s} {t} {d}\n" + _rows(x.reshape(-1, d)),
        TB_OUTPUT: f"{y.shape[0]} {y.shape[1]} {y.shape[2]}\n" + _rows(y.reshape(-1, y.shape[2])),
    }


def render(design: Design) -> dict[str, Content]:
    """Render the whole project.  Pure and deterministic."""
    ctx: VitisContext = build_context(design)
    env = environment(TARGET)
    sources: dict[str, str] = {
        path: env.get_template(name).render(c=ctx)
        for name, path in _templates(design.top, ctx.arch)
    }
    sources.update(_tb_files(design))
    return project_files(design, sources, target=TARGET,
                         top_sources=[f"src/{design.top}.cpp"],
                         testbench=f"tb/tb_{design.top}.cpp",
                         extra={"tb_data": {"input": TB_INPUT, "output": TB_OUTPUT}})
