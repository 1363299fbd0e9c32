"""Structure of the generated Verilog design, counted from the IR alone.

:func:`structure` lists every module of the RTL that ``codegen._verilog``
writes (docs/schedule.md: ``hadamrnn_recur``, ``hadamrnn_update``,
``hadamrnn_readout``, ``hadamrnn_top``) as primitive quantities: two-operand
adder bits, bits entering multi-operand sums, mux bits by fan-in, small-logic
bits, flip-flops.  It never renders the RTL, so it takes milliseconds even for
n = 256.  ``codegen._estimate`` turns these counts into LUT / FF / CARRY with
per-family coefficients fitted to Yosys (docs/estimates.md).

Why two kinds of adders: Yosys maps ``a + b`` to one carry chain (one LUT per
bit), but a sum of three or more operands (a CSD shift-add row) becomes a
``$macc`` cell built as a carry-save tree: its cost follows the number of
operand bits entering it (sign extension and shifts cost nothing), plus a final
carry chain at the result width.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from model import DeploymentIR, datapath_widths

from ._passes import csd


@dataclass(kw_only=True)
class Part:
    """One module of the design: primitive counts."""

    name: str
    detail: str = ""
    add2_bits: int = 0         #: bits of two-operand adders / subtractors
    sum_bits: int = 0          #: bits entering sums of >= 3 operands (see :meth:`sum`)
    sum_out_bits: int = 0      #: result bits of those sums (final carry chains)
    dense_bits: int = 0        #: carry-save bits of the dense +-1 rows: (m - 2) x (S + k)
    dense_out_bits: int = 0    #: their final adders: S + k bits per row
    mux_bits: int = 0          #: operand-select bits x (F - 1): one 2:1 level per extra way
    wreg_bits: int = 0         #: folded working-register bits (their write select, enable)
    logic_bits: int = 0        #: comparisons against constants
    relu_bits: int = 0         #: relu (clear on the sign bit) feeding the readout sums
    state_bits: int = 0        #: state register bits with their clear / shift select
    reg_bits: int = 0          #: flip-flops
    unread_bits: int = 0       #: of those, bits nothing reads (removed when flattened)
    adders: int = 0            #: two-input adders/subtractors (as docs/schedule.md counts)

    def add2(self, count: int, width: int) -> None:
        self.add2_bits += count * width
        self.adders += count

    def sum(self, operands: list[tuple[int, int, bool]], out_width: int, *,
            constant: bool = False) -> None:
        """A sum at ``out_width`` bits of ``(width, shift, signed)`` operands plus an
        optional constant.  A signed operand is sign-extended up to the result, so
        it brings ``out_width - shift`` bits into the carry-save tree; an unsigned
        (zero-extended) one only its ``width`` bits.  The constant is free."""
        t = len(operands) + int(constant)
        bits = [max(out_width - sh, w) if signed else w for w, sh, signed in operands]
        if t >= 3:
            self.sum_bits += sum(bits)
            self.sum_out_bits += out_width
        elif t == 2:
            self.add2_bits += max(bits) if bits else 0
        self.adders += max(t - 1, 0)

    def mux(self, fan_in: int, bits: int) -> None:
        """A ``fan_in``:1 select written as a chain of ``(tick == t) ? a :`` levels."""
        self.mux_bits += max(fan_in - 1, 0) * bits


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """Widths of the RTL signals (the same rules as the Verilog target's netlist pass)."""

    n: int
    m: int
    k: int
    d: int
    outputs: int
    S: int           #: state width
    RW: int          #: recurrent operand width, S + k
    AW: int          #: accumulator width (acc + 1 for the rounding constant)
    SW: int          #: saturation compare width
    W: int           #: input element width
    OW: int          #: output element width
    fold: int
    interleave: int
    ticks: int       #: folded butterfly cycles k*F (0 unfolded)


def geometry(ir: DeploymentIR, *, fold: int, interleave: int, datapath: str) -> Geometry:
    w = datapath_widths(ir)
    S = ir.state_format.width
    k = ir.log2_block
    AW = w.acc + 1
    QW = AW - (ir.acc_frac - ir.state_format.frac)
    ticks = k * fold if (fold > 1 and k > 0 and datapath == "hadamard") else 0
    return Geometry(
        n=ir.hidden, m=ir.block_size, k=k, d=ir.input_dim, outputs=ir.outputs, S=S,
        RW=S + k, AW=AW, SW=max(QW, S + 1), W=ir.input_format.width, OW=w.output,
        fold=fold, interleave=interleave, ticks=ticks)


def _digits(values: np.ndarray) -> np.ndarray:
    """CSD digit count of every entry (0 for a zero weight)."""
    arr = np.asarray(values)
    flat = [len(csd(int(v))) for v in arr.ravel()]
    return np.asarray(flat, dtype=np.int64).reshape(arr.shape)


def structure(ir: DeploymentIR, *, fold: int, interleave: int, datapath: str) -> list[Part]:
    """The modules of the design for one schedule, as primitive counts.

    Cached per (IR object, schedule): a board sweep asks the same question many times.
    Returns fresh copies, so callers may not disturb the cache."""
    return [replace(p) for p in _structure(ir, fold, interleave, datapath)]


@lru_cache(maxsize=256)
def _weight_digits(ir: DeploymentIR) -> tuple[np.ndarray, np.ndarray]:
    return _digits(ir.input_weight), _digits(ir.output_weight)


@lru_cache(maxsize=256)
def _structure(ir: DeploymentIR, fold: int, interleave: int, datapath: str) -> tuple[Part, ...]:
    g = geometry(ir, fold=fold, interleave=interleave, datapath=datapath)
    n, k, S, F, B = g.n, g.k, g.S, g.fold, g.interleave
    parts: list[Part] = []

    # ---- hadamrnn_recur: FWHT butterflies or the dense +-1 baseline
    rec = Part(name="recurrent")
    if datapath == "dense":
        # m unshifted operands sign-extended to RW: (m - 2) carry-save rows of RW
        # bits and a final RW-bit adder per row (m <= 2: the adder alone).
        rec.dense_bits += n * max(g.m - 2, 0) * g.RW
        rec.dense_out_bits += n * g.RW if g.m > 1 else 0
        rec.adders += n * (g.m - 1)
        rec.detail = f"dense +-1: {n} rows of {g.m} terms at {g.RW} b"
    elif k > 0 and g.ticks == 0:
        for s in range(k):
            rec.add2(n, S + s)  # n/2 butterflies of (S+s)-bit inputs: a+b and a-b
        rec.detail = f"FWHT {k} stages x {n // 2} butterflies, {S + 1}..{S + k} b"
    elif k > 0:
        units = n // (2 * F)
        for s in range(k):
            rec.add2(2 * units, S + s)
            rec.mux(F, 2 * units * (S + s))  # operand select per unit input
        # Working registers w_i (RW bits): one write per stage, else hold.
        rec.reg_bits += n * g.RW
        rec.wreg_bits += n * g.RW
        rec.detail = (f"FWHT {k} stages x {units} butterfly units, {F}:1 operand muxes, "
                      f"{n} x {g.RW} b working registers")
    else:
        rec.detail = "m = 1: no butterflies"
    parts.append(rec)

    # ---- hadamrnn_update: acc_i = +-r_i (x inv_sqrt2 as CSD) + U x + const; saturate
    inv = csd(ir.inv_sqrt2) if ir.odd_log2 else [(0, 1)]
    rec_terms = len(inv)
    u_digits, v_digits = _weight_digits(ir)
    u = np.asarray(ir.input_weight)
    sh_rec = ir.acc_frac - ir.recurrent_frac
    sh_in = ir.acc_frac - ir.input_frac
    x_signed = ir.input_format.signed
    sh_b = ir.acc_frac - ir.state_format.frac
    d_round = ir.acc_frac - ir.state_format.frac
    rnd = (1 << (d_round - 1)) if (ir.state_rounding == "half_up" and d_round > 0) else 0
    consts = (np.asarray(ir.state_bias, dtype=object) * (1 << sh_b) + rnd) != 0
    upd = Part(name="update")
    for i in range(n):
        ops = [(g.RW, sh + sh_rec, True) for sh, _ in inv]
        for j in np.flatnonzero(u[i]):
            ops += [(g.W, sh + sh_in, x_signed) for sh, _ in csd(int(u[i, j]))]
        upd.sum(ops, g.AW, constant=bool(consts[i]))
    upd.logic_bits += n * (2 * g.SW + S)    # two comparisons against +-smax, the select
    upd.detail = (f"{int(u_digits.sum())} U digits"
                  f"{', inv_sqrt2 ' + str(rec_terms) + ' digits' if ir.odd_log2 else ''}"
                  f", {n} rows at {g.AW} b, saturate at {g.SW} b")
    parts.append(upd)

    # ---- hadamrnn_readout: y_o = sum CSD(V_oi) relu(h_i) + c_o
    used = int((v_digits.sum(axis=0) > 0).sum())
    rd = Part(name="readout")
    for o in range(g.outputs):
        ops = [(S - 1, 0, False)] * int(v_digits[o].sum())  # relu(h) >= 0: zero-extended
        rd.sum(ops, g.OW, constant=int(ir.output_bias[o]) != 0)
    rd.relu_bits += used * (S - 1)           # relu: clear on the sign bit
    rd.detail = f"{int(v_digits.sum())} V digits, {g.outputs} sums at {g.OW} b, {used} relu"
    parts.append(rd)

    # ---- hadamrnn_top: x register, B state registers, ho, control
    top = Part(name="top")
    # (hierarchy kept: every bit a module port carries stays, used or not)
    used_x = int((u_digits.sum(axis=0) > 0).sum())
    top.reg_bits += g.d * g.W                # x_reg
    top.reg_bits += B * n * S                # hq_0 .. hq_{B-1}
    top.reg_bits += n * S                    # ho, the state on the readout
    top.reg_bits += 8 + (2 * max(B - 1, 1).bit_length() if B > 1 else 0)
    top.reg_bits += g.ticks.bit_length() if g.ticks else 0
    top.unread_bits += (g.d - used_x) * g.W + (n - used) * S  # unused x, ho slices
    top.state_bits += B * n * S              # clear on start / x_last, shift between slots
    top.detail = f"{B} x {n} x {S} b state, ho {n} x {S} b, x {g.d} x {g.W} b, control"
    parts.append(top)
    return tuple(parts)
