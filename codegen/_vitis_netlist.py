"""Passes that turn the IR into the netlists the Vitis templates print.

Everything here is plain data (tuples of small frozen records) computed from the
IR alone: the FWHT butterfly network of each diagonal block, the dense +-1 rows
of the baseline, and the CSD shift-add terms of U, V and 1/sqrt(2).  Zero
weights and off-diagonal blocks produce no entries, hence no code.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import DeploymentIR

from ._passes import csd


@dataclass(frozen=True, kw_only=True)
class Butterfly:
    """``out[lo] = in[lo] + in[hi]``, ``out[hi] = in[lo] - in[hi]`` (indices into the state)."""

    lo: int
    hi: int


@dataclass(frozen=True, kw_only=True)
class Stage:
    """FWHT stage ``index`` (1-based): pairs at ``distance``, grouped by block."""

    index: int
    distance: int
    blocks: tuple[tuple[Butterfly, ...], ...]


@dataclass(frozen=True, kw_only=True)
class Term:
    """``sign * (var << shift)`` in a shift-add network (``var`` is an index)."""

    var: int
    shift: int
    sign: int


@dataclass(frozen=True, kw_only=True)
class DenseRow:
    """Row ``row`` of the dense +-1 baseline: ``sum sign * h[var]`` over its block."""

    row: int
    terms: tuple[Term, ...]


def butterfly_stages(ir: DeploymentIR) -> tuple[Stage, ...]:
    """The log2(m) stages of the blockwise FWHT.  Stage s pairs i and i + 2**(s-1)
    inside each group of 2**s, exactly as model.fwht_int; only the n/m diagonal
    blocks exist."""
    n, m = ir.hidden, ir.block_size
    stages = []
    half, index = 1, 1
    while half < m:
        blocks = []
        for base in range(0, n, m):
            flies = tuple(
                Butterfly(lo=g + i, hi=g + i + half)
                for g in range(base, base + m, 2 * half)
                for i in range(half)
            )
            blocks.append(flies)
        stages.append(Stage(index=index, distance=half, blocks=tuple(blocks)))
        half *= 2
        index += 1
    return tuple(stages)


def fwht_adders(stages: tuple[Stage, ...]) -> int:
    """Adders plus subtractors of the butterfly network (two per butterfly)."""
    return sum(2 * len(block) for st in stages for block in st.blocks)


def dense_rows(ir: DeploymentIR) -> tuple[DenseRow, ...]:
    """Sylvester rows of each diagonal block: entry (i, j) is (-1)**popcount(i & j)."""
    n, m = ir.hidden, ir.block_size
    rows = []
    for row in range(n):
        base, i = row - row % m, row % m
        terms = tuple(
            Term(var=base + j, shift=0, sign=-1 if bin(i & j).count("1") % 2 else 1)
            for j in range(m)
        )
        rows.append(DenseRow(row=row, terms=terms))
    return tuple(rows)


def csd_terms(weights_row: list[int] | tuple[int, ...]) -> tuple[Term, ...]:
    """Shift-add terms of ``sum_j w[j] * v[j]``; zero weights give nothing."""
    return tuple(
        Term(var=j, shift=shift, sign=sign)
        for j, w in enumerate(weights_row)
        for shift, sign in csd(int(w))
    )


def constant_terms(value: int) -> tuple[Term, ...]:
    """Shift-add terms of ``value * v`` for a single variable (index 0)."""
    return tuple(Term(var=0, shift=shift, sign=sign) for shift, sign in csd(value))


def matrix_terms(matrix: object) -> tuple[tuple[Term, ...], ...]:
    """CSD terms of every row of an integer matrix (numpy array or nested lists)."""
    return tuple(csd_terms([int(w) for w in row]) for row in matrix)  # type: ignore[attr-defined]
