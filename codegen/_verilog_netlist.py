"""Netlist passes of the Verilog target: plain data computed from the IR.

Everything the templates print is decided here (widths, shift-add terms, the
folded butterfly schedule); the templates only loop over it.  Every signal is
two's complement and every sum is formed at one width wide enough for its
exact result, so modular wrap-around of partial sums never changes the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import DeploymentIR

from ._passes import EmitOptions, csd, widths


def sext(name: str, width: int, to: int) -> str:
    """``name`` (a ``width``-bit signed identifier) sign-extended to ``to`` bits."""
    if to == width:
        return name
    if to < width:
        raise ValueError(f"cannot sign-extend {name} from {width} to {to} bits")
    return f"{{{{{to - width}{{{name}[{width - 1}]}}}}, {name}}}"


def zext(name: str, width: int, to: int) -> str:
    """``name`` (an unsigned ``width``-bit identifier) zero-extended to ``to`` bits."""
    if to == width:
        return name
    return f"{{{to - width}'d0, {name}}}"


def shifted(name: str, width: int, shift: int, to: int) -> str:
    """``name >>> shift`` (arithmetic, dropping the low bits), sign-extended to ``to`` bits."""
    keep = width - shift
    body = f"{name}[{width - 1}:{shift}]" if shift else name
    if to == keep:
        return body
    return f"{{{{{to - keep}{{{name}[{width - 1}]}}}}, {body}}}"


def literal(value: int, width: int) -> str:
    v = int(value)
    return f"-{width}'sd{-v}" if v < 0 else f"{width}'sd{v}"


@dataclass(frozen=True, kw_only=True)
class Term:
    """``sign * (operand <<< shift)`` inside a sum."""

    sign: int
    operand: str
    shift: int


def sum_expr(terms: list[Term], constant: int, width: int) -> str:
    """A Verilog sum of shifted operands (all already ``width`` bits) plus a constant."""
    parts: list[str] = []
    for t in terms:
        op = t.operand if t.shift == 0 else f"({t.operand} <<< {t.shift})"
        if not parts:
            parts.append(op if t.sign > 0 else f"-{op}")
        else:
            parts.append(f"{'+' if t.sign > 0 else '-'} {op}")
    if constant != 0 or not parts:
        c = literal(abs(constant), width)
        if not parts:
            parts.append(literal(constant, width))
        else:
            parts.append(f"{'+' if constant > 0 else '-'} {c}")
    return " ".join(parts)


def adders_of(terms: int, constant: int) -> int:
    """Two-input adders/subtractors of a sum of ``terms`` operands plus a constant."""
    return max(terms + (1 if constant != 0 else 0) - 1, 0)


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """Sizes shared by every module of one design."""

    n: int
    m: int
    k: int
    blocks: int
    d: int
    outputs: int
    S: int
    RW: int          #: width of the recurrent operand handed to the update (S + k)
    AW: int          #: accumulator width (acc + 1 for the rounding constant)
    QW: int          #: width after the rounding shift
    SW: int          #: width at which saturation compares (QW, at least S + 1)
    XEW: int         #: width the inputs are extended to before their shift-adds
    W: int           #: input element width
    x_signed: bool
    OW: int          #: output element width
    XW: int          #: x_TDATA width
    YW: int          #: y_TDATA width
    shift: int       #: acc_frac - state_frac, the rounding shift
    fold: int
    interleave: int
    dense: bool
    TW: int          #: width of the fold tick counter
    ticks: int       #: k * fold cycles of folded butterflies (0 when unfolded)


def _round8(bits: int) -> int:
    return max(8, (bits + 7) // 8 * 8)


def geometry(ir: DeploymentIR, options: EmitOptions) -> Geometry:
    w = widths(ir)
    S = ir.state_format.width
    k = ir.log2_block
    AW = w.acc + 1
    d = ir.acc_frac - ir.state_format.frac
    QW = AW - d
    folded = options.fold > 1 and k > 0
    ticks = k * options.fold if folded else 0
    return Geometry(
        n=ir.hidden, m=ir.block_size, k=k, blocks=ir.num_blocks, d=ir.input_dim,
        outputs=ir.outputs, S=S, RW=S + k, AW=AW, QW=QW, SW=max(QW, S + 1),
        XEW=AW, W=ir.input_format.width, x_signed=ir.input_format.signed,
        OW=w.output, XW=_round8(ir.input_dim * ir.input_format.width),
        YW=_round8(ir.outputs * w.output), shift=d, fold=options.fold,
        interleave=options.interleave, dense=options.datapath == "dense",
        TW=max(ticks, 1).bit_length(), ticks=ticks)


# ---------------------------------------------------------------- recurrent


@dataclass(frozen=True, kw_only=True)
class Butterfly:
    """One butterfly of an unfolded stage: (a + b, a - b) into elements lo, hi."""

    stage: int
    lo: int
    hi: int
    a: str
    b: str
    width: int        #: output width S + stage + 1


def butterfly_stages(g: Geometry) -> list[list[Butterfly]]:
    """The unfolded FWHT: stage s pairs i and i + 2**s inside each block; stage s
    inputs are ``S + s`` bits, outputs ``S + s + 1`` bits (sign-extended operands)."""
    stages = []
    for s in range(g.k):
        half = 1 << s
        win = g.S + s
        bfs = []
        for lo in range(g.n):
            if lo & half:
                continue
            hi = lo + half
            bfs.append(Butterfly(stage=s, lo=lo, hi=hi,
                                 a=sext(f"s{s}_{lo}", win, win + 1),
                                 b=sext(f"s{s}_{hi}", win, win + 1), width=win + 1))
        stages.append(bfs)
    return stages


@dataclass(frozen=True, kw_only=True)
class FoldedUnit:
    """Butterfly unit ``unit`` of stage ``stage`` in the folded datapath; in cycle c
    of its stage it processes the pair ``pairs[c] = (lo, hi)``."""

    stage: int
    unit: int
    win: int
    pairs: tuple[tuple[int, int], ...]
    a_mux: tuple[tuple[int, str], ...]   #: (tick, operand) for the a input
    b_mux: tuple[tuple[int, str], ...]


def stage_pairs(n: int, s: int) -> list[tuple[int, int]]:
    half = 1 << s
    return [(lo, lo + half) for lo in range(n) if not lo & half]


def folded_units(g: Geometry) -> tuple[list[FoldedUnit], list[list[tuple[int, str]]]]:
    """Units of the folded FWHT and, per working element, its writes ``(tick, value)``.

    Pair p of stage s (in the order of :func:`stage_pairs`) runs on unit
    ``p mod U`` in cycle ``p // U`` with U = n / (2F) units per stage; stage s
    occupies ticks ``s*F .. s*F + F - 1``.  Stage 0 reads the state h, later
    stages read and write the working registers ``w_i`` (``S + k`` bits) in place.
    """
    F = g.fold
    U = g.n // (2 * F)
    units: list[FoldedUnit] = []
    writes: list[list[tuple[int, str]]] = [[] for _ in range(g.n)]
    for s in range(g.k):
        win = g.S + s
        pairs = stage_pairs(g.n, s)

        def src(i: int, s: int = s, win: int = win) -> str:
            return f"h_{i}" if s == 0 else f"w_{i}[{win - 1}:0]"

        for u in range(U):
            mine = tuple(pairs[c * U + u] for c in range(F))
            a_mux = tuple((s * F + c, src(lo)) for c, (lo, _) in enumerate(mine))
            b_mux = tuple((s * F + c, src(hi)) for c, (_, hi) in enumerate(mine))
            units.append(FoldedUnit(stage=s, unit=u, win=win, pairs=mine,
                                    a_mux=a_mux, b_mux=b_mux))
            for c, (lo, hi) in enumerate(mine):
                writes[lo].append((s * F + c, sext(f"us{s}_{u}", win + 1, g.RW)))
                writes[hi].append((s * F + c, sext(f"ud{s}_{u}", win + 1, g.RW)))
    for w in writes:
        w.sort()
    return units, writes


def hadamard_row(m: int, i: int, j: int) -> int:
    """Entry (i, j) of Sylvester's m x m Hadamard matrix: (-1)**popcount(i & j)."""
    return -1 if bin(i & j).count("1") % 2 else 1


def dense_rows(ir: DeploymentIR, g: Geometry) -> list[str]:
    """Per row i: ``sign_i * sum_j H[i, j] h_j`` over its diagonal block, at RW bits."""
    rows = []
    sign = np.asarray(ir.sign)
    for i in range(g.n):
        base = i - i % g.m
        terms = [Term(sign=int(sign[i]) * hadamard_row(g.m, i - base, j - base),
                      operand=f"he_{j}", shift=0) for j in range(base, base + g.m)]
        rows.append(sum_expr(terms, 0, g.RW))
    return rows


# ---------------------------------------------------------------- update


@dataclass(frozen=True, kw_only=True)
class Row:
    """acc_i = constant + recurrent terms + input terms, at ``AW`` bits."""

    index: int
    expr: str
    terms: int
    constant: int
    adders: int


def update_rows(ir: DeploymentIR, g: Geometry, dense: bool) -> list[Row]:
    sh_rec = ir.acc_frac - ir.recurrent_frac
    sh_in = ir.acc_frac - ir.input_frac
    sh_b = ir.acc_frac - ir.state_format.frac
    rnd = (1 << (g.shift - 1)) if (ir.state_rounding == "half_up" and g.shift > 0) else 0
    inv = csd(ir.inv_sqrt2) if ir.odd_log2 else [(0, 1)]
    U = np.asarray(ir.input_weight)
    sign = np.asarray(ir.sign)
    rows = []
    for i in range(g.n):
        # The sign diagonal is folded into the add/sub choice of these terms
        # (the dense datapath already applied it inside its row sums).
        sgn = 1 if dense else int(sign[i])
        terms = [Term(sign=sgn * dsign, operand=f"re_{i}", shift=dshift + sh_rec)
                 for dshift, dsign in inv]
        for j in range(g.d):
            for dshift, dsign in csd(int(U[i, j])):
                terms.append(Term(sign=dsign, operand=f"xe_{j}", shift=dshift + sh_in))
        const = (int(ir.state_bias[i]) << sh_b) + rnd
        rows.append(Row(index=i, expr=sum_expr(terms, const, g.AW), terms=len(terms),
                        constant=const, adders=adders_of(len(terms), const)))
    return rows


def used_inputs(ir: DeploymentIR) -> list[int]:
    U = np.asarray(ir.input_weight)
    return [j for j in range(ir.input_dim) if np.any(U[:, j] != 0)]


# ---------------------------------------------------------------- readout


def readout_rows(ir: DeploymentIR, g: Geometry) -> list[Row]:
    V = np.asarray(ir.output_weight)
    rows = []
    for o in range(g.outputs):
        terms = [Term(sign=dsign, operand=f"rl_{i}", shift=dshift)
                 for i in range(g.n) for dshift, dsign in csd(int(V[o, i]))]
        const = int(ir.output_bias[o])
        rows.append(Row(index=o, expr=sum_expr(terms, const, g.OW), terms=len(terms),
                        constant=const, adders=adders_of(len(terms), const)))
    return rows


def used_states(ir: DeploymentIR) -> list[int]:
    V = np.asarray(ir.output_weight)
    return [i for i in range(ir.hidden) if np.any(V[:, i] != 0)]
