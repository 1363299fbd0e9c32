"""Structure of the generated Verilog design, counted from the IR alone.

:func:`structure` lists every component of the RTL that ``codegen._verilog``
writes (docs/schedule.md) as primitive quantities: two-input adder bits, mux
bits by fan-in, register bits, comparator bits.  It never renders the RTL, so
it takes milliseconds even for n = 256.  ``codegen._estimate`` turns these
counts into LUT / FF / CARRY with per-family coefficients calibrated against
Yosys (docs/estimates.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model import DeploymentIR, datapath_widths

from ._passes import csd


@dataclass(kw_only=True)
class Part:
    """One component: primitive counts (bits) that cost LUTs and FFs."""

    name: str
    detail: str = ""
    add_bits: int = 0          #: bits of two-input adders / subtractors (carry chain)
    mux_bits: dict[int, int] = field(default_factory=dict)  #: fan-in -> bits of F:1 muxes
    logic_bits: int = 0        #: bits of small LUT logic (saturation select, relu, enables)
    reg_bits: int = 0          #: flip-flops
    mem_bits: int = 0          #: bits of state storage kept in RAM (interleave)
    mem_width: int = 0         #: word width of that RAM
    adders: int = 0            #: number of two-input adders (for the report)

    def add(self, count: int, width: int) -> None:
        self.add_bits += count * width
        self.adders += count

    def mux(self, fan_in: int, bits: int) -> None:
        if fan_in > 1 and bits > 0:
            self.mux_bits[fan_in] = self.mux_bits.get(fan_in, 0) + bits


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """Widths of the RTL signals (mirrors the Verilog target's netlist pass)."""

    n: int
    m: int
    k: int
    d: int
    outputs: int
    S: int           #: state width
    RW: int          #: recurrent operand width, S + k
    AW: int          #: accumulator width (acc + 1 for the rounding constant)
    QW: int          #: after the rounding shift
    SW: int          #: saturation compare width
    OW: int          #: output element width
    XW: int          #: x_TDATA width
    YW: int          #: y_TDATA width
    fold: int
    interleave: int


def _round8(bits: int) -> int:
    return max(8, (bits + 7) // 8 * 8)


def geometry(ir: DeploymentIR, *, fold: int, interleave: int) -> Geometry:
    w = datapath_widths(ir)
    S = ir.state_format.width
    k = ir.log2_block
    AW = w.acc + 1
    QW = AW - (ir.acc_frac - ir.state_format.frac)
    return Geometry(
        n=ir.hidden, m=ir.block_size, k=k, d=ir.input_dim, outputs=ir.outputs, S=S,
        RW=S + k, AW=AW, QW=QW, SW=max(QW, S + 1), OW=w.output,
        XW=_round8(ir.input_dim * ir.input_format.width), YW=_round8(ir.outputs * w.output),
        fold=fold, interleave=interleave)


def _digits(values: np.ndarray) -> np.ndarray:
    """CSD digit count of every entry (0 for a zero weight)."""
    flat = [len(csd(int(v))) for v in np.asarray(values).ravel()]
    return np.asarray(flat, dtype=np.int64).reshape(np.shape(values))


def structure(ir: DeploymentIR, *, fold: int, interleave: int, datapath: str) -> list[Part]:
    """The components of the design for one schedule, as primitive counts."""
    g = geometry(ir, fold=fold, interleave=interleave)
    n, k, S, F, B = g.n, g.k, g.S, g.fold, g.interleave
    parts: list[Part] = []

    # ---- recurrent product W h: FWHT butterflies or the dense +-1 baseline
    rec = Part(name="recurrent", detail="")
    if datapath == "dense":
        # Per row: a sum of the m entries of its diagonal block at RW bits.
        rec.add(n * (g.m - 1), g.RW)
        rec.detail = f"dense +-1: {n} rows x {g.m - 1} add/sub at {g.RW} b"
    elif k > 0 and F == 1:
        for s in range(k):
            rec.add(n, S + s + 1)  # n/2 butterflies, each a+b and a-b
        rec.detail = f"FWHT {k} stages x {n // 2} butterflies, {S + 1}..{S + k} b"
    elif k > 0:
        units = n // (2 * F)
        for s in range(k):
            rec.add(2 * units, S + s + 1)
            rec.mux(F, 2 * units * (S + s))  # operand select per unit input
        # Working registers w_i (RW bits), written by one unit per stage.
        rec.reg_bits += n * g.RW
        rec.mux(k + 1, n * g.RW)
        rec.detail = (f"FWHT {k} stages x {units} butterfly units, {F}:1 operand muxes, "
                      f"{n} x {g.RW} b working registers")
    else:
        rec.detail = "m = 1: no butterflies"
    parts.append(rec)

    # ---- state update: acc_i = recurrent (x 1/sqrt2 as CSD) + U x + bias + round
    inv_terms = len(csd(ir.inv_sqrt2)) if ir.odd_log2 else 1
    u_digits = _digits(ir.input_weight)
    row_terms = inv_terms + u_digits.sum(axis=1)
    bias = (np.asarray(ir.state_bias) != 0) | (
        ir.state_rounding == "half_up" and ir.acc_frac > ir.state_format.frac)
    upd = Part(name="update")
    upd_adders = int(np.maximum(row_terms + bias.astype(np.int64) - 1, 0).sum())
    upd.add(upd_adders, g.AW)
    upd.detail = (f"U x (CSD, {int(u_digits.sum())} digits) + W h"
                  f"{' x 1/sqrt2 (' + str(inv_terms) + ' digits)' if ir.odd_log2 else ''}"
                  f" + bias: {upd_adders} add/sub at {g.AW} b")
    parts.append(upd)

    sat = Part(name="saturate", detail=f"round, clamp to +-{ir.state_max}, {n} x {g.SW} b")
    sat.logic_bits += n * (2 * g.SW + S)  # two comparisons and the select per row
    parts.append(sat)

    # ---- state storage (B sequences in flight)
    st = Part(name="state", detail=f"{n} x {S} b x {B} sequences")
    st.reg_bits += n * S * B
    if B > 1:
        st.mux(B, n * S)
    parts.append(st)

    # ---- readout y = V relu(h) + c
    v_digits = _digits(ir.output_weight)
    out_terms = v_digits.sum(axis=1) + (np.asarray(ir.output_bias) != 0)
    rd = Part(name="readout")
    rd_adders = int(np.maximum(out_terms - 1, 0).sum())
    rd.add(rd_adders, g.OW)
    rd.logic_bits += int((v_digits.sum(axis=0) > 0).sum()) * (S - 1)  # relu of used h_i
    rd.detail = (f"V relu(h) (CSD, {int(v_digits.sum())} digits) + c: "
                 f"{rd_adders} add/sub at {g.OW} b")
    parts.append(rd)

    # ---- streams and control
    io = Part(name="io+control", detail=f"x {g.XW} b, y {g.YW} b, AXI-Stream, ap_ctrl_hs")
    io.reg_bits += g.XW + g.YW
    parts.append(io)
    return parts
