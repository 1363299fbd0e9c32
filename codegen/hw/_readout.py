"""Trees of registered partial sums: the pipelined readout and the input product.

Level 0 sums the leaves of a row in groups of at most ``group``; each later
level sums the previous level's partial sums in groups of ``group``.  Every row
gets the same number of levels (short rows pass their value through), so all
rows leave at once.  The leaves are the row's CSD terms, and for the readout
its output bias as one more leaf, so every partial sum of two operands is one
adder.  All partial sums are kept at the row's final width: two's complement
sums wrap modulo 2^W, so an intermediate that overflows still gives the exact
final sum.
"""

from __future__ import annotations

from dataclasses import dataclass

from model import signed_bits

#: Operands per registered partial sum: two adders per level (the usual), or
#: one (``FAST_GROUP``) when the loop's deepest stage is a single adder, so the
#: trees are no slower than the loop and no larger than they need to be.
GROUP = 4
FAST_GROUP = 2


def tree_group(loop_stage_adders: int) -> int:
    return FAST_GROUP if loop_stage_adders <= 1 else GROUP

Groups = tuple[tuple[int, ...], ...]


@dataclass(frozen=True, kw_only=True)
class SumTree:
    levels: int
    group: int                  #: operands per partial sum
    #: per row, per level: groups of indices into the previous level (level 0: terms)
    outputs: tuple[tuple[Groups, ...], ...]
    #: per row, per level, per group: bits of that partial sum (empty: the row's width)
    widths: tuple[tuple[tuple[int, ...], ...], ...] = ()

    def width(self, row: int, level: int, group: int, default: int) -> int:
        return self.widths[row][level][group] if self.widths else default

    @property
    def registers(self) -> int:
        """Partial-sum registers over all rows and levels."""
        return sum(len(level) for levels in self.outputs for level in levels)


def _levels(count: int, group: int) -> list[Groups]:
    levels: list[Groups] = []
    while True:
        groups = tuple(tuple(range(i, min(i + group, count)))
                       for i in range(0, count, group)) if count else ((),)
        levels.append(groups)
        count = len(groups)
        if count == 1:
            return levels


def sum_tree(term_counts: list[int], group: int = GROUP) -> SumTree:
    per_output = [_levels(c, group) for c in term_counts]
    depth = max((len(lv) for lv in per_output), default=1)
    padded = tuple(tuple(lv + [((0,),)] * (depth - len(lv))) for lv in per_output)
    return SumTree(levels=depth, group=group, outputs=padded)


def readout_tree(leaf_ranges: list[list[tuple[int, int]]], group: int = GROUP) -> SumTree:
    """The readout (leaves: an output's terms, then its bias when non-zero, each
    given by the range of values it takes): groups of ``group``, as many levels as
    the longest row needs, each partial sum as wide as its range needs (exact, no
    wrap).  The readout is outside the recurrence, so its depth costs latency only."""
    tree = sum_tree([len(r) for r in leaf_ranges], group)
    widths = []
    for leaves, levels in zip(leaf_ranges, tree.outputs, strict=True):
        ranges = list(leaves) or [(0, 0)]
        row = []
        for level in levels:
            ranges = [(sum(ranges[i][0] for i in grp), sum(ranges[i][1] for i in grp))
                      if grp else (0, 0) for grp in level]
            row.append(tuple(max(2, signed_bits(lo, hi)) for lo, hi in ranges))
        widths.append(tuple(row))
    return SumTree(levels=tree.levels, group=group, outputs=tree.outputs, widths=tuple(widths))


def input_tree(term_counts: list[int], levels: int, group: int = GROUP) -> SumTree:
    """U x spread over at most ``levels`` registered levels (the pipeline stages
    the beat passes before it must be ready): groups of ``group`` when that is
    shallow enough, else the smallest group that fits."""
    while sum_tree(term_counts, group).levels > levels:
        group += 1
    return sum_tree(term_counts, group)
