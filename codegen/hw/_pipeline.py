"""Where the pipeline registers of the parallel datapath go.

The recurrent loop h -> FWHT (k butterfly layers) -> acc (sign, 1/sqrt(2), U x,
bias, rounding constant) -> saturate -> h is cut by P - 1 registers into P
stages; B >= P interleaved sequences (C-slow) keep one step of some sequence
entering every cycle.  Layers are numbered 1..k (butterfly stage j), k + 1
(acc) and k + 2 (saturation); a cut j puts a register on layer j's outputs.
When x 1/sqrt(2) is an adder chain of its own (``--arith da``, k odd) it is
layer k + 1, before acc (k + 2) and saturation (k + 3), so a cut can separate
the chain from the acc sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

#: Relative logic depth of a layer: a butterfly stage is one adder, the acc sum
#: a multi-operand adder tree, saturation a compare and select.
BUTTERFLY_WEIGHT = 1
ACC_WEIGHT = 2
SAT_WEIGHT = 1


@dataclass(frozen=True, kw_only=True)
class Pipeline:
    """P stages: ``cuts`` are the layers whose outputs are registered (P - 1 of them)."""

    depth: int
    layers: int                 #: k + 2
    cuts: tuple[int, ...]
    #: stages the beat passes before its state enters the loop (its U x tree
    #: needs more levels than the loop has stages before acc)
    pre: int = 0
    #: adders in series of the x 1/sqrt(2) layer (0: no such layer)
    product: int = 0

    @property
    def x_delay(self) -> int:
        """Registers a beat passes from the loop entry to the acc layer."""
        return sum(1 for j in self.cuts if j <= self.layers - 2)

    @property
    def x_stages(self) -> int:
        """Registers the input beat passes before the acc layer consumes it."""
        return self.pre + self.x_delay

    @property
    def flag_stages(self) -> int:
        """Stages a beat's flags (valid, last, group end, due) travel: P - 1 + pre."""
        return self.depth - 1 + self.pre

    @property
    def input_ahead(self) -> bool:
        """U x is computed once per beat before the loop and travels as a vector."""
        return self.x_stages > 0

    @property
    def constant_ahead(self) -> bool:
        """The acc layer's per-row constant (bias and rounding) is added to U x on
        its way (its last delay register), so acc adds two operands per row
        instead of three: needs two stages before acc (one for the U x tree)."""
        return self.x_stages >= 2

    @property
    def input_levels(self) -> int:
        """Registered levels the U x tree may use."""
        return self.x_stages - 1 if self.constant_ahead else self.x_stages

    @property
    def acc_registered(self) -> bool:
        return (self.layers - 1) in self.cuts

    @property
    def product_registered(self) -> bool:
        """Whether the x 1/sqrt(2) layer's outputs are registered."""
        return self.product > 0 and (self.layers - 2) in self.cuts

    @property
    def update_registered(self) -> bool:
        """Whether the update module holds registers (the product's or acc's)."""
        return self.acc_registered or self.product_registered

    def registered(self, stage: int) -> bool:
        """Whether butterfly stage ``stage`` (1-based) has registered outputs."""
        return stage in self.cuts

    def stage_adders(self, acc_operands: int) -> int:
        """Adders in series in the deepest loop stage: a butterfly layer and the
        saturation count one, the acc layer ceil(log2 of its operands)."""
        acc = max(1, math.ceil(math.log2(max(acc_operands, 2))))
        butterflies = self.layers - 2 - (1 if self.product else 0)
        per_layer = ([BUTTERFLY_WEIGHT] * butterflies + ([self.product] if self.product else [])
                     + [acc, SAT_WEIGHT])
        bounds = (0, *self.cuts, self.layers)
        return max(sum(per_layer[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))


def max_depth(k: int, product: bool = False) -> int:
    """Most stages: one per layer (``product``: x 1/sqrt(2) is a layer of its own)."""
    return k + 2 + (1 if product else 0)


def _weights(k: int, product: int) -> list[int]:
    if product:   # the chain, then acc adds two operands (the product, U x + constant)
        return [BUTTERFLY_WEIGHT] * k + [product, BUTTERFLY_WEIGHT, SAT_WEIGHT]
    return [BUTTERFLY_WEIGHT] * k + [ACC_WEIGHT, SAT_WEIGHT]


def place_cuts(k: int, depth: int, cut_bits: list[int], product: int = 0) -> Pipeline:
    """The P - 1 cuts that minimise the deepest stage (by layer weight), then the
    registered bits (``cut_bits[j - 1]``: bits a cut after layer j registers);
    ``product``: the adders in series of a x 1/sqrt(2) layer before acc."""
    weights = _weights(k, product)
    layers = len(weights)
    best: tuple[int, int, tuple[int, ...]] | None = None
    for cuts in combinations(range(1, layers), depth - 1):
        bounds = (0, *cuts, layers)
        deepest = max(sum(weights[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
        bits = sum(cut_bits[j - 1] for j in cuts)
        key = (deepest, bits, cuts)
        if best is None or key < best:
            best = key
    assert best is not None
    return Pipeline(depth=depth, layers=layers, cuts=best[2], product=product)
