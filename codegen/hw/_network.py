"""The recurrent product as a netlist: the blockwise FWHT butterfly network (fully
parallel or folded onto shared butterfly units) and the dense +-1 baseline.

Stage s (1-based) pairs i and i + 2**(s-1) inside each group of 2**s, exactly as
``model.fwht_int``; only the n/m diagonal blocks exist, so off-diagonal blocks
produce no hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._csd import Term


@dataclass(frozen=True, kw_only=True)
class Butterfly:
    """``out[lo] = in[lo] + in[hi]``, ``out[hi] = in[lo] - in[hi]``."""

    lo: int
    hi: int


@dataclass(frozen=True, kw_only=True)
class Stage:
    """FWHT stage ``index`` (1-based): pairs at ``distance``, grouped by block;
    inputs are ``width_in`` bits, outputs ``width_in + 1``."""

    index: int
    distance: int
    width_in: int
    blocks: tuple[tuple[Butterfly, ...], ...]

    @property
    def width_out(self) -> int:
        return self.width_in + 1

    @property
    def butterflies(self) -> tuple[Butterfly, ...]:
        """All butterflies of the stage in increasing ``lo`` order."""
        return tuple(bf for block in self.blocks for bf in block)


def hadamard_entry(i: int, j: int) -> int:
    """Entry (i, j) of Sylvester's Hadamard matrix: (-1)**popcount(i & j)."""
    return -1 if bin(i & j).count("1") % 2 else 1


def butterfly_stages(n: int, m: int, state_width: int) -> tuple[Stage, ...]:
    """The log2(m) stages of the blockwise FWHT of an n-element state."""
    stages = []
    half, index = 1, 1
    while half < m:
        blocks = tuple(
            tuple(Butterfly(lo=g + i, hi=g + i + half)
                  for g in range(base, base + m, 2 * half) for i in range(half))
            for base in range(0, n, m))
        stages.append(Stage(index=index, distance=half, width_in=state_width + index - 1,
                            blocks=blocks))
        half *= 2
        index += 1
    return tuple(stages)


@dataclass(frozen=True, kw_only=True)
class FoldedUnit:
    """Butterfly unit ``unit`` of stage ``stage`` (1-based) in the folded network: in
    tick ``first_tick + c`` it processes ``pairs[c]``; inputs are ``width_in`` bits."""

    stage: int
    unit: int
    width_in: int
    first_tick: int
    pairs: tuple[Butterfly, ...]


@dataclass(frozen=True, kw_only=True)
class FoldWrite:
    """In ``tick`` working register i takes the sum (``diff`` False) or the
    difference of ``unit`` of ``stage``, ``width`` bits wide."""

    tick: int
    stage: int
    unit: int
    diff: bool
    width: int


def folded_network(stages: tuple[Stage, ...], fold: int
                   ) -> tuple[tuple[FoldedUnit, ...], tuple[tuple[FoldWrite, ...], ...]]:
    """Units of the folded FWHT and, per working element, its writes in tick order.

    Pair p of a stage (in increasing ``lo`` order) runs on unit ``p mod U`` in
    cycle ``p // U`` with U = n / (2F) units per stage; stage s occupies ticks
    ``(s-1)*F .. s*F - 1``, so (F a power of two) the tick's low log2 F bits
    are the cycle within the stage, and a unit's operand select is a binary mux.
    """
    units: list[FoldedUnit] = []
    n = 2 * len(stages[0].butterflies) if stages else 0
    writes: list[list[FoldWrite]] = [[] for _ in range(n)]
    per_stage = n // (2 * fold) if n else 0
    for st in stages:
        pairs = st.butterflies
        first = (st.index - 1) * fold
        for u in range(per_stage):
            mine = tuple(pairs[c * per_stage + u] for c in range(fold))
            units.append(FoldedUnit(stage=st.index, unit=u, width_in=st.width_in,
                                    first_tick=first, pairs=mine))
            for c, bf in enumerate(mine):
                writes[bf.lo].append(FoldWrite(tick=first + c, stage=st.index, unit=u,
                                               diff=False, width=st.width_out))
                writes[bf.hi].append(FoldWrite(tick=first + c, stage=st.index, unit=u,
                                               diff=True, width=st.width_out))
    return tuple(units), tuple(tuple(sorted(w, key=lambda x: x.tick)) for w in writes)


@dataclass(frozen=True, kw_only=True)
class DenseRow:
    """Row ``row`` of the dense +-1 baseline: ``sign * sum_j H[i, j] h[var_j]`` over
    its diagonal block (``terms`` hold the Hadamard signs, ``sign`` the diagonal)."""

    row: int
    sign: int
    terms: tuple[Term, ...]


def dense_rows(n: int, m: int, sign: tuple[int, ...]) -> tuple[DenseRow, ...]:
    rows = []
    for row in range(n):
        base, i = row - row % m, row % m
        terms = tuple(Term(var=base + j, shift=0, sign=hadamard_entry(i, j)) for j in range(m))
        rows.append(DenseRow(row=row, sign=sign[row], terms=terms))
    return tuple(rows)
