"""The Verilog target: synthesizable Verilog-2005 for the streaming HadamRNN cell.

``render(ir, options)`` builds one context per template from the netlist
passes in :mod:`codegen._verilog_netlist` and returns ``{path: text}``.  The
project also holds ``ir.json`` (the IR, as text, for the RTL simulation's
reference) and ``project.json`` (top, sources, interface and schedule figures).
The micro-architecture and its cycle counts are documented in docs/schedule.md.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from model import DeploymentIR, FlowError, ir_to_json

from ._passes import EmitOptions
from ._render import GENERATED_NOTICE, render_template
from ._verilog_netlist import (
    Geometry,
    butterfly_stages,
    dense_rows,
    folded_units,
    geometry,
    readout_rows,
    sext,
    shifted,
    update_rows,
    used_inputs,
    used_states,
    zext,
)
from ._verilog_schedule import adder_counts, schedule

TOP = "hadamrnn_top"
RECUR = "hadamrnn_recur"
UPDATE = "hadamrnn_update"
READOUT = "hadamrnn_readout"
SOURCES = tuple(f"rtl/{name}.v" for name in (RECUR, UPDATE, READOUT, TOP))
IR_FILE = "ir.json"
IR_ARRAYS = ("sign", "input_weight", "state_bias", "output_weight", "output_bias")
PROJECT_FILE = "project.json"


def _check(ir: DeploymentIR, options: EmitOptions) -> None:
    if options.datapath == "dense" and options.fold != 1:
        raise FlowError(f"--datapath dense is built unfolded; use --fold 1, got {options.fold}")


def recur_context(ir: DeploymentIR, g: Geometry) -> dict[str, Any]:
    folded = g.ticks > 0 and not g.dense
    ctx: dict[str, Any] = {
        "module": RECUR, "n": g.n, "S": g.S, "RW": g.RW, "k": g.k, "TW": g.TW,
        "fold": g.fold, "elements": list(range(g.n)), "dense": g.dense, "folded": folded,
    }
    if g.dense:
        ctx["description"] = f"dense +-1 rows inside {g.blocks} block(s) of {g.m}, sign folded"
        ctx["extended"] = [sext(f"h_{i}", g.S, g.RW) for i in range(g.n)]
        ctx["dense_rows"] = dense_rows(ir, g)
    elif folded:
        ctx["description"] = (f"fast Walsh-Hadamard transform, {g.k} stage(s) folded "
                              f"over {g.fold} cycles each")
        units, writes = folded_units(g)

        def mux(options: tuple[tuple[int, str], ...]) -> str:
            *first, (_, last) = options
            chain = [f"(tick == {g.TW}'d{t}) ? {v} :" for t, v in first]
            return " ".join([*chain, last])

        ctx["units"] = [{
            "stage": u.stage, "unit": u.unit, "win": u.win,
            "a": mux(u.a_mux), "b": mux(u.b_mux),
            "a_ext": sext(f"ua{u.stage}_{u.unit}", u.win, u.win + 1),
            "b_ext": sext(f"ub{u.stage}_{u.unit}", u.win, u.win + 1),
        } for u in units]
        ctx["writes"] = [{"index": i, "cases": w} for i, w in enumerate(writes)]
    else:
        ctx["description"] = (f"fast Walsh-Hadamard transform, {g.k} unfolded stage(s) "
                              f"in {g.blocks} block(s) of {g.m}")
        ctx["stages"] = butterfly_stages(g)
    return ctx


def update_context(ir: DeploymentIR, g: Geometry) -> dict[str, Any]:
    inputs = used_inputs(ir)
    ext = sext if g.x_signed else zext
    return {
        "module": UPDATE, "n": g.n, "S": g.S, "RW": g.RW, "AW": g.AW, "SW": g.SW,
        "d": g.d, "W": g.W, "x_signed": g.x_signed, "shift": g.shift,
        "rounding": ir.state_rounding, "smax": ir.state_max, "odd": ir.odd_log2,
        "inv_sqrt2": ir.inv_sqrt2, "elements": list(range(g.n)), "inputs": inputs,
        "r_ext": [sext(f"r_{i}", g.RW, g.AW) for i in range(g.n)],
        "x_ext": {j: ext(f"x_{j}", g.W, g.AW) for j in inputs},
        "q_ext": [shifted(f"acc_{i}", g.AW, g.shift, g.SW) for i in range(g.n)],
        "rows": update_rows(ir, g, g.dense),
    }


def readout_context(ir: DeploymentIR, g: Geometry) -> dict[str, Any]:
    states = used_states(ir)
    return {
        "module": READOUT, "n": g.n, "S": g.S, "OW": g.OW, "YW": g.YW, "outputs": g.outputs,
        "states": states,
        "relu_ext": {i: zext(f"h[{i * g.S + g.S - 2}:{i * g.S}]", g.S - 1, g.OW)
                     for i in states},
        "rows": readout_rows(ir, g),
    }


def top_context(ir: DeploymentIR, g: Geometry) -> dict[str, Any]:
    sched = schedule(g.n, g.m, g.fold, g.interleave, datapath="dense" if g.dense else "hadamard")
    return {
        "top": TOP, "name": ir.name, "recur_module": RECUR, "update_module": UPDATE,
        "readout_module": READOUT, "n": g.n, "m": g.m, "d": g.d, "outputs": g.outputs,
        "readout": ir.readout, "fold": g.fold, "B": g.interleave,
        "datapath": "dense" if g.dense else "hadamard", "S": g.S, "RW": g.RW,
        "XW": g.XW, "YW": g.YW, "DW": g.d * g.W, "TW": g.TW, "ticks": g.ticks,
        "folded": g.ticks > 0 and not g.dense, "slots": list(range(g.interleave)),
        "BW": max(g.interleave - 1, 1).bit_length(),
        "keep_hex": format((1 << (g.YW // 8)) - 1, "x"),
        "cycles_per_beat": sched["cycles_per_beat"],
    }


def ir_text(ir: DeploymentIR) -> str:
    """The IR as one JSON document (``model`` + integer ``arrays``), for the bench."""
    doc = {
        "notice": GENERATED_NOTICE,
        "model": ir_to_json(ir),
        "arrays": {name: np.asarray(getattr(ir, name)).tolist() for name in IR_ARRAYS},
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


def project_doc(ir: DeploymentIR, options: EmitOptions, g: Geometry) -> dict[str, Any]:
    datapath = "dense" if g.dense else "hadamard"
    return {
        "target": "verilog",
        "top": TOP,
        "sources": list(SOURCES),
        "ir": IR_FILE,
        "name": ir.name,
        "hidden": g.n, "block_size": g.m, "input_dim": g.d, "outputs": g.outputs,
        "readout": ir.readout,
        "fold": g.fold, "interleave": g.interleave, "datapath": datapath,
        "x_width": g.XW, "x_element_width": g.W, "x_signed": g.x_signed,
        "y_width": g.YW, "y_element_width": g.OW,
        "schedule": schedule(g.n, g.m, g.fold, g.interleave, datapath=datapath),
        "adders": adder_counts(ir, options),
        "tb_sequences": options.tb_sequences, "tb_steps": options.tb_steps,
        "tb_seed": options.tb_seed,
    }


def render(ir: DeploymentIR, options: EmitOptions) -> dict[str, str]:
    _check(ir, options)
    g = geometry(ir, options)
    files = {
        f"rtl/{RECUR}.v": render_template("verilog", "recur.v.j2", c=recur_context(ir, g)),
        f"rtl/{UPDATE}.v": render_template("verilog", "update.v.j2", c=update_context(ir, g)),
        f"rtl/{READOUT}.v": render_template("verilog", "readout.v.j2",
                                            c=readout_context(ir, g)),
        f"rtl/{TOP}.v": render_template("verilog", "top.v.j2", c=top_context(ir, g)),
        IR_FILE: ir_text(ir),
    }
    doc = {"notice": GENERATED_NOTICE, **project_doc(ir, options, g)}
    files[PROJECT_FILE] = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    return dict(sorted(files.items()))
