"""The view the Vitis templates render: names and C++ types over the hardware
description.  Every width, term and row comes from :class:`codegen.hw.Design`;
this module only renames them for the C++ text and checks the AXI-Stream limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from model import FlowError

from ..hw import (
    AdderGraph,
    DenseRow,
    Design,
    Geometry,
    ReadoutRow,
    Stage,
    Stream,
    Term,
    UpdateRow,
    network_adders,
)

if TYPE_CHECKING:
    from ..hw._design import Rom

#: Widest AXI-Stream TDATA Vitis HLS accepts.
MAX_STREAM_BITS = 4096


@dataclass(frozen=True, kw_only=True)
class VitisContext:
    ident: str
    top: str
    # shapes and schedule
    hidden: int
    block_size: int
    num_blocks: int
    log2_block: int
    odd_log2: bool
    input_dim: int
    outputs: int
    readout: str
    fold: int
    interleave: int
    part: str
    clock_ns: str
    datapath: str
    butterfly_units: int
    fwht_adders: int
    # widths (bits)
    input_width: int
    input_signed: bool
    x_bits: int
    y_bits: int
    ap_int_max_w: int
    state_width: int
    stage_widths: tuple[tuple[int, int], ...]
    fwht_width: int
    recurrent_width: int
    input_product_width: int
    acc_width: int
    round_width: int
    relu_width: int
    output_width: int
    input_weight_width: int
    output_weight_width: int
    output_bias_width: int
    # arithmetic constants
    state_max: int
    state_rounding: str
    round_shift: int
    round_half: int
    shift_rec: int
    shift_in: int
    inv_sqrt2: int
    inv_sqrt2_frac: int
    inv_sqrt2_terms: tuple[Term, ...]   #: highest shift first
    recurrent_frac: int
    input_frac: int
    acc_frac: int
    state_frac: int
    output_frac: int
    # netlists
    stages: tuple[Stage, ...]
    dense: tuple[DenseRow, ...]
    update_rows: tuple[UpdateRow, ...]
    out_rows: tuple[ReadoutRow, ...]
    # weights (for the weights header)
    sign: tuple[int, ...]
    input_weight: tuple[tuple[int, ...], ...]
    output_weight: tuple[tuple[int, ...], ...]
    state_bias: tuple[int, ...]
    output_bias: tuple[int, ...]
    # test bench
    tb_sequences: int
    tb_steps: int
    tb_out_steps: int
    tb_seed: int
    # the streaming form (``--arch stream``): the records the Verilog stream_top prints
    arch: str = "parallel"
    lanes: int = 1
    geometry: Geometry | None = None
    stream: Stream | None = None
    roms: tuple[Rom, ...] = ()
    recurrent_terms: tuple[Term, ...] = ()   #: lowest shift first (the identity when k is even)
    used_inputs: tuple[int, ...] = ()
    # ``--arith da``: da4ml's adder graphs (graph input i of the readout is
    # relu(h) of used_states[i]); None: CSD shift-add terms
    readout_graph: AdderGraph | None = None
    product_graph: AdderGraph | None = None
    used_states: tuple[int, ...] = ()


def build_context(design: Design) -> VitisContext:
    ir, g, o = design.ir, design.geometry, design.options
    if o.pipeline != 1:
        raise FlowError("--pipeline applies to the verilog target; Vitis HLS places the "
                        "pipeline registers of the vitis target itself (--interleave B)")
    for label, bits in (("x", g.XW), ("y", g.YW)):
        if bits > MAX_STREAM_BITS:
            raise FlowError(
                f"the {label} stream needs {bits}-bit beats, more than the {MAX_STREAM_BITS} "
                "bits of a Vitis HLS AXI-Stream; reduce input_dim/outputs or their widths")
    return VitisContext(
        ident=design.ident, top=design.top,
        hidden=g.n, block_size=g.m, num_blocks=g.blocks, log2_block=g.k,
        odd_log2=ir.odd_log2, input_dim=g.d, outputs=g.outputs, readout=ir.readout,
        fold=g.fold, interleave=g.interleave, part=o.part, clock_ns=f"{o.clock_ns:g}",
        datapath=o.datapath, butterfly_units=g.butterfly_units,
        fwht_adders=network_adders(design),
        input_width=g.W, input_signed=g.x_signed, x_bits=g.XW, y_bits=g.YW,
        ap_int_max_w=-(-max(g.XW, g.YW, 1024) // 1024) * 1024,
        state_width=g.S,
        stage_widths=tuple((j + 1, bits) for j, bits in enumerate(g.stage_widths)),
        fwht_width=g.stage_widths[-1] if g.stage_widths else g.S,
        recurrent_width=g.recurrent_width, input_product_width=g.input_product_width,
        acc_width=g.acc_width, round_width=g.round_width, relu_width=g.relu_width,
        output_width=g.OW, input_weight_width=ir.input_weight_bits,
        output_weight_width=ir.output_weight_bits, output_bias_width=g.output_bias_width,
        state_max=g.state_max, state_rounding=ir.state_rounding, round_shift=g.shift,
        round_half=g.round_half, shift_rec=g.shift_rec, shift_in=g.shift_in,
        inv_sqrt2=ir.inv_sqrt2, inv_sqrt2_frac=ir.inv_sqrt2_frac,
        inv_sqrt2_terms=tuple(reversed(design.inv_sqrt2_terms)),
        recurrent_frac=ir.recurrent_frac, input_frac=ir.input_frac, acc_frac=ir.acc_frac,
        state_frac=ir.state_format.frac, output_frac=ir.output_frac,
        stages=design.stages, dense=design.dense, update_rows=design.update_rows,
        out_rows=design.readout_rows,
        sign=tuple(int(s) for s in ir.sign),
        input_weight=tuple(tuple(int(v) for v in row) for row in ir.input_weight),
        output_weight=tuple(tuple(int(v) for v in row) for row in ir.output_weight),
        state_bias=tuple(int(v) for v in ir.state_bias),
        output_bias=tuple(int(v) for v in ir.output_bias),
        tb_sequences=design.tb_sequences, tb_steps=design.tb_steps,
        tb_out_steps=design.tb_steps if ir.readout == "every" else 1, tb_seed=o.tb_seed,
        arch=o.arch, lanes=o.lanes, geometry=g, stream=design.stream, roms=design.roms,
        recurrent_terms=design.recurrent_terms, used_inputs=design.used_inputs,
        readout_graph=design.readout_graph.graph if design.readout_graph else None,
        product_graph=design.product_graph, used_states=design.used_states,
    )
