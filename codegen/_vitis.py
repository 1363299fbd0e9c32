"""The Vitis HLS target: ``render(ir, options) -> {relative path: text}``.

The project holds the top function, a types header (widths from the IR's
datapath analysis), a weights header, a C test bench with vectors written from
the integer reference, ``build_prj.tcl``, a README, a copy of the IR (JSON) and
``project.json`` (the emit options, for ``python -m sim csim``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np

from model import DeploymentIR, ir_to_json, random_inputs
from model import run as reference_run

from ._passes import EmitOptions
from ._render import GENERATED_NOTICE, cpp_int, environment
from ._vitis_context import TOP, VitisContext, build_context

TARGET = "vitis"
PROJECT_JSON = "project.json"
IR_MODEL = "ir/model.json"
IR_WEIGHTS = "ir/weights.json"
TB_INPUT = "tb_data/tb_input.dat"
TB_OUTPUT = "tb_data/tb_output.dat"

#: template -> path in the project (the top's name is filled in).
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("types.h.j2", "src/hrnn_types.h"),
    ("weights.h.j2", "src/hrnn_weights.h"),
    ("top.h.j2", f"src/{TOP}.h"),
    ("top.cpp.j2", f"src/{TOP}.cpp"),
    ("tb.cpp.j2", f"tb/tb_{TOP}.cpp"),
    ("build_prj.tcl.j2", "build_prj.tcl"),
    ("README.md.j2", "README.md"),
)


def _cpp_list(values: Iterable[int]) -> str:
    return "{" + ", ".join(cpp_int(v) for v in values) + "}"


def _neg(sign: int) -> str:
    """Prefix of a first shift-add term: '' for +1, '-' for -1."""
    return "-" if sign < 0 else ""


def _addop(sign: int) -> str:
    return "-" if sign < 0 else "+"


def _shl(shift: int) -> str:
    return f" << {shift}" if shift else ""


def _env():  # type: ignore[no-untyped-def]
    env = environment(TARGET)
    env.filters.setdefault("cpp_list", _cpp_list)
    env.filters.setdefault("neg", _neg)
    env.filters.setdefault("addop", _addop)
    env.filters.setdefault("shl", _shl)
    return env


def _rows(arr: np.ndarray) -> str:
    return "".join(" ".join(str(int(v)) for v in row) + "\n" for row in arr)


def tb_vectors(ir: DeploymentIR, ctx: VitisContext) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and expected outputs of the test bench: random sequences with every
    fourth one drawn from the two ends of the input range (saturating the state)."""
    x = random_inputs(ir, batch=ctx.tb_sequences, steps=ctx.tb_steps, seed=ctx.tb_seed)
    extreme = random_inputs(ir, batch=ctx.tb_sequences, steps=ctx.tb_steps,
                            seed=ctx.tb_seed + 1, extreme=True)
    x[::4] = extreme[::4]
    y = np.asarray(reference_run(ir, x))
    return x, y.reshape(ctx.tb_sequences, ctx.tb_out_steps, ir.outputs)


def _tb_files(ir: DeploymentIR, ctx: VitisContext) -> dict[str, str]:
    x, y = tb_vectors(ir, ctx)
    s, t, d = x.shape
    head_x = f"{s} {t} {d}\n"
    head_y = f"{y.shape[0]} {y.shape[1]} {y.shape[2]}\n"
    return {
        TB_INPUT: head_x + _rows(x.reshape(-1, d)),
        TB_OUTPUT: head_y + _rows(y.reshape(-1, y.shape[2])),
    }


def _ir_files(ir: DeploymentIR) -> dict[str, str]:
    from model._ir import ARRAY_NAMES

    weights = {name: np.asarray(getattr(ir, name)).tolist() for name in ARRAY_NAMES}
    return {
        IR_MODEL: json.dumps(ir_to_json(ir), indent=2, sort_keys=True) + "\n",
        IR_WEIGHTS: json.dumps(weights, sort_keys=True) + "\n",
    }


def _project_json(ctx: VitisContext, options: EmitOptions) -> str:
    doc = {
        "target": TARGET,
        "top": ctx.top,
        "name": ctx.ident,
        "fold": options.fold,
        "interleave": options.interleave,
        "part": options.part,
        "clock_ns": options.clock_ns,
        "datapath": options.datapath,
        "tb_sequences": ctx.tb_sequences,
        "tb_steps": ctx.tb_steps,
        "tb_seed": ctx.tb_seed,
        "sources": [f"src/{TOP}.cpp"],
        "testbench": f"tb/tb_{TOP}.cpp",
        "fwht_adders": ctx.fwht_adders,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def render(ir: DeploymentIR, options: EmitOptions) -> dict[str, str]:
    """Render the whole project.  Pure and deterministic."""
    notice = GENERATED_NOTICE
    ctx = build_context(ir, options, notice)
    env = _env()
    files = {
        path: env.get_template(name).render(c=ctx) for name, path in TEMPLATES
    }
    files.update(_tb_files(ir, ctx))
    files.update(_ir_files(ir))
    files[PROJECT_JSON] = _project_json(ctx, options)
    return dict(sorted(files.items()))
