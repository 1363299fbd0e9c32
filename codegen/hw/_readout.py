"""The pipelined readout as a tree of registered partial sums.

Level 0 sums the CSD terms of an output in groups of at most ``GROUP``; each
later level sums the previous level's partial sums in groups of ``GROUP``;
the last level adds the output bias.  Every output gets the same number of
levels (short rows pass their value through), so y leaves all at once.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Operands per registered partial sum.
GROUP = 4

Groups = tuple[tuple[int, ...], ...]


@dataclass(frozen=True, kw_only=True)
class ReadoutTree:
    levels: int
    #: per output, per level: groups of indices into the previous level (level 0: terms)
    outputs: tuple[tuple[Groups, ...], ...]


def _levels(count: int, group: int) -> list[Groups]:
    levels: list[Groups] = []
    while True:
        groups = tuple(tuple(range(i, min(i + group, count)))
                       for i in range(0, count, group)) if count else ((),)
        levels.append(groups)
        count = len(groups)
        if count == 1:
            return levels


def readout_tree(term_counts: list[int], group: int = GROUP) -> ReadoutTree:
    per_output = [_levels(c, group) for c in term_counts]
    depth = max((len(lv) for lv in per_output), default=1)
    padded = tuple(tuple(lv + [((0,),)] * (depth - len(lv))) for lv in per_output)
    return ReadoutTree(levels=depth, outputs=padded)
