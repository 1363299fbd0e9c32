"""Trees of registered partial sums: the pipelined readout and the input product.

Level 0 sums the leaves of a row in groups of at most ``group``; each later
level sums the previous level's partial sums in groups of ``group``.  Every row
gets the same number of levels (short rows pass their value through), so all
rows leave at once.  The leaves are the row's CSD terms, and for the readout
its output bias as one more leaf, so every partial sum of two operands is one
adder.  A partial sum never starts with a negation (that would be a second
carry chain): a positive operand goes first, and a group whose operands are
all negative stores the sum of their magnitudes, its parent subtracting it
(the root's sign is applied where the sum is used).  U x partial sums are
kept at the row's final width (two's complement sums wrap modulo 2^W, so an
intermediate that overflows still gives the exact final sum); readout partial
sums are as wide as their range.
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
    #: per row, per level: groups of indices into the previous level (level 0: leaves)
    outputs: tuple[tuple[Groups, ...], ...]
    #: per row, per level, per group: (index, +1 or -1) of each operand, a positive
    #: one first, so no partial sum starts with a negation
    operands: tuple[tuple[tuple[tuple[tuple[int, int], ...], ...], ...], ...]
    #: per row, per level, per group: the register holds sign x the partial sum
    #: (-1 when every operand is negative: their sum is stored as a sum of magnitudes)
    signs: tuple[tuple[tuple[int, ...], ...], ...]
    #: per row, per level, per group: bits of that partial sum (empty: the row's width)
    widths: tuple[tuple[tuple[int, ...], ...], ...] = ()

    def width(self, row: int, level: int, group: int, default: int) -> int:
        return self.widths[row][level][group] if self.widths else default

    def root_sign(self, row: int) -> int:
        return self.signs[row][-1][0]

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


def sum_tree(leaf_signs: list[list[int]], group: int = GROUP) -> SumTree:
    """The tree over each row's leaves (``leaf_signs[row][i]``: +1 or -1, the
    sign the leaf's magnitude enters the row's sum with)."""
    per_output = [_levels(len(c), group) for c in leaf_signs]
    depth = max((len(lv) for lv in per_output), default=1)
    padded = tuple(tuple(lv + [((0,),)] * (depth - len(lv))) for lv in per_output)
    operands, signs = [], []
    for leaves, levels in zip(leaf_signs, padded, strict=True):
        below = list(leaves)
        row_ops, row_signs = [], []
        for level in levels:
            ops, sg = [], []
            for grp in level:
                child = [(i, below[i]) for i in grp]
                sign = 1 if (not child or any(c > 0 for _, c in child)) else -1
                ordered = sorted(((i, c * sign) for i, c in child), key=lambda t: -t[1])
                ops.append(tuple(ordered))
                sg.append(sign)
            row_ops.append(tuple(ops))
            row_signs.append(tuple(sg))
            below = sg
        operands.append(tuple(row_ops))
        signs.append(tuple(row_signs))
    return SumTree(levels=depth, group=group, outputs=padded, operands=tuple(operands),
                   signs=tuple(signs))


def readout_tree(leaves: list[list[tuple[int, int]]], group: int = GROUP) -> SumTree:
    """The readout: ``leaves[row]`` is (sign, largest magnitude) of each leaf (an
    output's terms, then its bias when non-zero, sign +1 and its own value):
    groups of ``group``, as many levels as the longest row needs, each partial
    sum as wide as its range needs (exact, no wrap).  The readout is outside the
    recurrence, so its depth costs latency only."""
    tree = sum_tree([[sg for sg, _ in row] for row in leaves], group)
    widths = []
    for row, ops_levels in zip(leaves, tree.operands, strict=True):
        # stored ranges: a leaf holds its magnitude (the bias its value); the
        # operand signs already carry the node's sign
        ranges = [(min(0, mag), max(0, mag)) for _, mag in row] or [(0, 0)]
        out = []
        for ops in ops_levels:
            nxt = []
            for grp in ops:
                lo = sum(ranges[i][0] if c > 0 else -ranges[i][1] for i, c in grp)
                hi = sum(ranges[i][1] if c > 0 else -ranges[i][0] for i, c in grp)
                nxt.append((lo, hi))
            out.append(tuple(max(2, signed_bits(lo, hi)) for lo, hi in nxt))
            ranges = nxt
        widths.append(tuple(out))
    return SumTree(levels=tree.levels, group=group, outputs=tree.outputs,
                   operands=tree.operands, signs=tree.signs, widths=tuple(widths))


def input_tree(leaf_signs: list[list[int]], levels: int, group: int = GROUP) -> SumTree:
    """U x spread over at most ``levels`` registered levels (the pipeline stages
    the beat passes before it must be ready): groups of ``group`` when that is
    shallow enough, else the smallest group that fits."""
    while sum_tree(leaf_signs, group).levels > levels:
        group += 1
    return sum_tree(leaf_signs, group)
