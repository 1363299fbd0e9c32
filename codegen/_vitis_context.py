"""The one context object the Vitis templates render from, built from the IR.

Widths come from ``model.datapath_widths`` (plus the stream packing rules of
the hardware contract); netlists come from :mod:`codegen._vitis_netlist`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model import DeploymentIR, FlowError, datapath_widths

from ._passes import EmitOptions, sanitize_identifier
from ._vitis_netlist import (
    DenseRow,
    Stage,
    Term,
    butterfly_stages,
    constant_terms,
    csd_terms,
    dense_rows,
    fwht_adders,
    matrix_terms,
)

#: Name of the top function (and of the RTL module Vitis HLS exports).
TOP = "hadamrnn_top"
#: Default time steps of the test-bench vectors when neither the options nor the
#: IR's meta data (``meta["steps"]`` or ``meta["seq_len"]``) give one.
DEFAULT_TB_STEPS = 16


#: Widest AXI-Stream TDATA Vitis HLS accepts.
MAX_STREAM_BITS = 4096


def round_up8(bits: int) -> int:
    return (bits + 7) // 8 * 8


@dataclass(frozen=True, kw_only=True)
class AccRow:
    """Row i of the state update: bias constant (already in acc units), whether a
    U x term exists, the sign folded into the add/sub of the recurrent term."""

    row: int
    bias: int
    has_input: bool
    sign: int


@dataclass(frozen=True, kw_only=True)
class OutRow:
    row: int
    bias: int
    terms: tuple[Term, ...]


@dataclass(frozen=True, kw_only=True)
class VitisContext:
    notice: str
    ident: str
    top: str
    ir_name_safe: str
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
    inv_sqrt2_terms: tuple[Term, ...]
    recurrent_frac: int
    input_frac: int
    acc_frac: int
    state_frac: int
    output_frac: int
    # netlists
    stages: tuple[Stage, ...]
    dense: tuple[DenseRow, ...]
    input_rows: tuple[tuple[Term, ...], ...]
    acc_rows: tuple[AccRow, ...]
    out_rows: tuple[OutRow, ...]
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

    def as_dict(self) -> dict[str, Any]:
        return {"c": self}


def tb_steps_for(ir: DeploymentIR, options: EmitOptions) -> int:
    if options.tb_steps is not None:
        return options.tb_steps
    for key in ("steps", "seq_len"):
        steps = ir.meta.get(key) if isinstance(ir.meta, dict) else None
        if isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= 4096:
            return steps
    return DEFAULT_TB_STEPS


def tb_sequences_for(options: EmitOptions) -> int:
    """Test-bench sequences, rounded up to whole calls of ``interleave`` sequences."""
    b = options.interleave
    return -(-options.tb_sequences // b) * b


def build_context(ir: DeploymentIR, options: EmitOptions, notice: str) -> VitisContext:
    w = datapath_widths(ir)
    fmt = ir.input_format
    k = ir.log2_block
    stages = butterfly_stages(ir) if options.datapath == "hadamard" else ()
    dense = dense_rows(ir) if options.datapath == "dense" else ()
    shift_rec = ir.acc_frac - ir.recurrent_frac
    shift_in = ir.acc_frac - ir.input_frac
    shift_b = ir.acc_frac - ir.state_format.frac
    d = ir.acc_frac - ir.state_format.frac
    half = (1 << (d - 1)) if (d > 0 and ir.state_rounding == "half_up") else 0
    input_rows = matrix_terms(ir.input_weight)
    acc_rows = tuple(
        AccRow(row=i, bias=int(ir.state_bias[i]) << shift_b, has_input=bool(input_rows[i]),
               sign=int(ir.sign[i]))
        for i in range(ir.hidden)
    )
    out_rows = tuple(
        OutRow(row=o, bias=int(ir.output_bias[o]),
               terms=csd_terms([int(v) for v in ir.output_weight[o]]))
        for o in range(ir.outputs)
    )
    ob = max((abs(int(c)) for c in ir.output_bias), default=0)
    out_bias_width = max(2, ob.bit_length() + 1)
    tb_steps = tb_steps_for(ir, options)
    x_bits = round_up8(ir.input_dim * fmt.width)
    y_bits = round_up8(ir.outputs * w.output)
    for label, bits in (("x", x_bits), ("y", y_bits)):
        if bits > MAX_STREAM_BITS:
            raise FlowError(
                f"the {label} stream needs {bits}-bit beats, more than the {MAX_STREAM_BITS} "
                "bits of a Vitis HLS AXI-Stream; reduce input_dim/outputs or their widths")
    return VitisContext(
        notice=notice,
        ident=sanitize_identifier(ir.name),
        top=TOP,
        ir_name_safe=sanitize_identifier(ir.name),
        hidden=ir.hidden,
        block_size=ir.block_size,
        num_blocks=ir.num_blocks,
        log2_block=k,
        odd_log2=ir.odd_log2,
        input_dim=ir.input_dim,
        outputs=ir.outputs,
        readout=ir.readout,
        fold=options.fold,
        interleave=options.interleave,
        part=options.part,
        clock_ns=f"{options.clock_ns:g}",
        datapath=options.datapath,
        butterfly_units=max(ir.hidden // (2 * options.fold), 1),
        fwht_adders=fwht_adders(stages),
        input_width=fmt.width,
        input_signed=fmt.signed,
        x_bits=x_bits,
        y_bits=y_bits,
        ap_int_max_w=-(-max(x_bits, y_bits, 1024) // 1024) * 1024,
        state_width=w.state,
        stage_widths=tuple((j + 1, bits) for j, bits in enumerate(w.stages)),
        fwht_width=w.stages[-1] if w.stages else w.state,
        recurrent_width=w.recurrent,
        input_product_width=w.input_product,
        acc_width=w.acc,
        round_width=max(w.acc, d) + 1,
        relu_width=w.relu - 1,
        output_width=w.output,
        input_weight_width=ir.input_weight_bits,
        output_weight_width=ir.output_weight_bits,
        output_bias_width=out_bias_width,
        state_max=ir.state_max,
        state_rounding=ir.state_rounding,
        round_shift=d,
        round_half=half,
        shift_rec=shift_rec,
        shift_in=shift_in,
        inv_sqrt2=ir.inv_sqrt2,
        inv_sqrt2_frac=ir.inv_sqrt2_frac,
        inv_sqrt2_terms=tuple(reversed(constant_terms(ir.inv_sqrt2))),
        recurrent_frac=ir.recurrent_frac,
        input_frac=ir.input_frac,
        acc_frac=ir.acc_frac,
        state_frac=ir.state_format.frac,
        output_frac=ir.output_frac,
        stages=stages,
        dense=dense,
        input_rows=input_rows,
        acc_rows=acc_rows,
        out_rows=out_rows,
        sign=tuple(int(s) for s in ir.sign),
        input_weight=tuple(tuple(int(v) for v in row) for row in ir.input_weight),
        output_weight=tuple(tuple(int(v) for v in row) for row in ir.output_weight),
        state_bias=tuple(int(v) for v in ir.state_bias),
        output_bias=tuple(int(v) for v in ir.output_bias),
        tb_sequences=tb_sequences_for(options),
        tb_steps=tb_steps,
        tb_out_steps=tb_steps if ir.readout == "every" else 1,
        tb_seed=options.tb_seed,
    )
