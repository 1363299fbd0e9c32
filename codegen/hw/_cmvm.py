"""Constant products as adder graphs: da4ml's constant matrix-vector solution.

``y = V x`` with a constant integer matrix ``V`` needs one adder per CSD digit
when every output sums its own digits.  da4ml (the distributed-arithmetic
backend of hls4ml) finds sums that several outputs share and builds ``V x``
from two-input adders, often half as many (the readout); for a single constant
it finds a short adder chain (x 1/sqrt(2): 3 adders for 181, not 4); among the
chains with that many adders, ``scalar`` keeps the one with the shortest carry
chains.  da4ml's solution is a list of operations on fixed-point buffers; here
it becomes a graph of integer nodes,
each ``(a << sa) +/- (b << sb)`` with non-negative shifts, so the RTL never
sees a fraction.  The graph's linear map is recomputed from its nodes and must
equal ``V`` entry by entry before anything is rendered from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from model import FlowError, signed_bits


@dataclass(frozen=True, kw_only=True)
class Node:
    """``(a << sa) + (b << sb)``, or minus when ``sub``; ``a`` and ``b`` index the
    graph's values: inputs first, then nodes."""

    a: int
    b: int
    sa: int
    sb: int
    sub: bool
    lo: int                     #: the node's range
    hi: int
    depth: int                  #: adders on its longest path from an input

    @property
    def width(self) -> int:
        return max(2, signed_bits(self.lo, self.hi))

    @property
    def adder_bits(self) -> int:
        """Bits of the node's carry chain: below the larger shift only one operand
        has bits, which pass through, unless that one is subtracted."""
        low = max(self.sa, self.sb) if not self.sub or self.sb >= self.sa else self.sb
        return max(1, self.width - low)


@dataclass(frozen=True, kw_only=True)
class Output:
    """``sign * (value << shift)`` (``shift < 0``: an exact right shift); value -1: zero."""

    value: int
    shift: int
    sign: int


@dataclass(frozen=True, kw_only=True)
class AdderGraph:
    inputs: int
    input_range: tuple[int, int]
    nodes: tuple[Node, ...]
    outputs: tuple[Output, ...]

    def depth(self, value: int) -> int:
        return 0 if value < self.inputs else self.nodes[value - self.inputs].depth

    def range(self, value: int) -> tuple[int, int]:
        if value < self.inputs:
            return self.input_range
        nd = self.nodes[value - self.inputs]
        return nd.lo, nd.hi

    def width(self, value: int) -> int:
        """Bits of ``value`` as a signed number (an input's top bit is then 0)."""
        lo, hi = self.range(value)
        return max(2, signed_bits(lo, hi))

    def output_adders(self, constants: list[int]) -> int:
        """Adders after the graph: one per non-zero output that adds its constant
        (``constants[o]``) or is negated."""
        return sum(1 for o, c in zip(self.outputs, constants, strict=True)
                   if o.value >= 0 and (c != 0 or o.sign < 0))

    @property
    def max_depth(self) -> int:
        return max((self.depth(o.value) for o in self.outputs if o.value >= 0), default=0)

    def evaluate(self, x: list[int]) -> list[int]:
        """The outputs for integer inputs ``x`` (Python integers, exact)."""
        vals = [int(v) for v in x]
        for nd in self.nodes:
            a, b = vals[nd.a] << nd.sa, vals[nd.b] << nd.sb
            vals.append(a - b if nd.sub else a + b)
        return [0 if o.value < 0 else o.sign * (vals[o.value] << o.shift if o.shift >= 0
                                                 else vals[o.value] >> -o.shift)
                for o in self.outputs]


@dataclass(frozen=True, kw_only=True)
class Staged:
    """The graph cut into registered stages of at most ``adders`` adders each (the
    pipelined readout).  Stage 0 is the input register; a node computed in stage
    ``s`` is registered at its end and delayed to every later stage that reads
    it; the outputs (their shift, sign and constant) are the last stage."""

    graph: AdderGraph
    adders: int
    stage: tuple[int, ...]      #: per value (inputs: 0)
    last_use: tuple[int, ...]   #: per value: the last stage reading it (0: none)

    @property
    def levels(self) -> int:
        """Registered levels after the input register: the node stages, then the
        output register."""
        return max(self.stage, default=0) + 1

    @property
    def register_bits(self) -> int:
        g = self.graph
        return sum(g.width(v) * self.delays(v) for v in range(len(self.stage)))

    def delays(self, value: int) -> int:
        """Registers holding ``value`` for later stages (an input's first one is
        the input register itself)."""
        return max(0, self.last_use[value] - max(self.stage[value], 1))


def stage_graph(graph: AdderGraph, adders: int) -> Staged:
    values = graph.inputs + len(graph.nodes)
    stage = [0] * graph.inputs + [math.ceil(nd.depth / adders) for nd in graph.nodes]
    out_stage = max(stage, default=0) + 1
    last = [0] * values
    for j, nd in enumerate(graph.nodes):
        s = stage[graph.inputs + j]
        last[nd.a] = max(last[nd.a], s)
        last[nd.b] = max(last[nd.b], s)
    for o in graph.outputs:
        if o.value >= 0:
            last[o.value] = out_stage
    return Staged(graph=graph, adders=adders, stage=tuple(stage), last_use=tuple(last))


def _node(a: tuple[int, int, int], b: tuple[int, int, int], subtract: bool, shift: int,
          ranges: list[tuple[int, int]], depths: list[int], nodes: list[Node],
          inputs: int) -> tuple[int, int, int]:
    """One da4ml add/sub of ``a +/- b * 2^shift``, each a (graph value, exponent,
    sign): appends the node, returns the result's (value, exponent, sign)."""
    (va, ea, ga), (vb, eb, gb) = a, b
    if va < 0 or vb < 0:
        raise FlowError("da4ml's adder graph adds a constant zero; use --arith csd")
    eb += shift
    e = min(ea, eb)
    t = (-1 if subtract else 1) * gb
    # s_a * A + t * B with A, B >= their own sign: first operand positive
    sign = ga
    sub = (t * ga) < 0
    _append(va, vb, ea - e, eb - e, sub, ranges, depths, nodes)
    return inputs + len(nodes) - 1, e, sign


def _append(a: int, b: int, sa: int, sb: int, sub: bool, ranges: list[tuple[int, int]],
            depths: list[int], nodes: list[Node]) -> None:
    """Append the node ``(a << sa) +/- (b << sb)`` with its exact range and depth."""
    (alo, ahi), (blo, bhi) = ranges[a], ranges[b]
    alo, ahi, blo, bhi = alo << sa, ahi << sa, blo << sb, bhi << sb
    lo, hi = (alo - bhi, ahi - blo) if sub else (alo + blo, ahi + bhi)
    depth = 1 + max(depths[a], depths[b])
    nodes.append(Node(a=a, b=b, sa=sa, sb=sb, sub=sub, lo=lo, hi=hi, depth=depth))
    ranges.append((lo, hi))
    depths.append(depth)


def _check(graph: AdderGraph, matrix: np.ndarray) -> None:
    """The graph's linear map, from its nodes, must be ``matrix`` exactly."""
    n = graph.inputs
    coef: list[list[int]] = [[1 if j == i else 0 for j in range(n)] for i in range(n)]
    for nd in graph.nodes:
        a = [c << nd.sa for c in coef[nd.a]]
        b = [c << nd.sb for c in coef[nd.b]]
        coef.append([p - q if nd.sub else p + q for p, q in zip(a, b, strict=True)])
    for r, o in enumerate(graph.outputs):
        want = [int(v) for v in matrix[r]]
        if o.value < 0:
            got = [0] * n
        elif o.shift >= 0:
            got = [o.sign * (c << o.shift) for c in coef[o.value]]
        else:
            got = [o.sign * c / (1 << -o.shift) for c in coef[o.value]]
        if got != want:
            raise FlowError(f"da4ml's adder graph for the readout differs from V in row {r}; "
                            "use --arith csd")


def solve(matrix: np.ndarray, input_range: tuple[int, int]) -> AdderGraph:
    """The adder graph of ``matrix @ x`` (``matrix``: outputs x inputs, integers) for
    inputs in ``input_range``."""
    return _solve(tuple(tuple(int(v) for v in row) for row in np.asarray(matrix)),
                  (int(input_range[0]), int(input_range[1])))


@lru_cache(maxsize=32)
def _solve(rows: tuple[tuple[int, ...], ...], input_range: tuple[int, int]) -> AdderGraph:
    try:
        from da4ml.cmvm import solve as da_solve
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise FlowError("--arith da needs da4ml (pip install -e .)") from exc
    matrix = np.array(rows, dtype=np.int64)
    outs, n = matrix.shape
    lo, hi = input_range
    kernel = np.ascontiguousarray(matrix.T, dtype=np.float32)   # x @ kernel, C order
    pipe = da_solve(kernel, qintervals=[(float(lo), float(hi), 1.0)] * n)
    ranges = [input_range] * n
    depths = [0] * n
    nodes: list[Node] = []
    # (graph value, exponent, sign) of each entering value of the current solution
    entering = [(i, 0, 1) for i in range(n)]
    for sol in pipe.solutions:
        buf: list[tuple[int, int, int]] = []
        for op in sol.ops:
            if op.opcode == -1:
                v, e, g = entering[op.id0]
                buf.append((v, e + int(sol.inp_shifts[op.id0]), g))
            elif op.opcode in (0, 1):
                buf.append(_node(buf[op.id0], buf[op.id1], op.opcode == 1, int(op.data),
                                 ranges, depths, nodes, n))
            else:
                raise FlowError(f"da4ml returned operation {op.opcode}, not an add; "
                                "use --arith csd")
        entering = []
        for idx, shift, neg in zip(sol.out_idxs, sol.out_shifts, sol.out_negs, strict=True):
            if idx < 0:
                entering.append((-1, 0, 1))
                continue
            v, e, g = buf[idx]
            entering.append((v, e + int(shift), -g if neg else g))
    outputs = tuple(Output(value=-1, shift=0, sign=1) if v < 0 else
                    Output(value=v, shift=e, sign=g) for v, e, g in entering)
    graph = AdderGraph(inputs=n, input_range=input_range, nodes=tuple(nodes), outputs=outputs)
    if len(outputs) != outs:
        raise FlowError("da4ml's readout graph has the wrong number of outputs")
    _check(graph, matrix)
    return graph


#: The longest chain ``scalar`` searches exhaustively (3 adders: ~10^5 candidates).
SEARCH_ADDERS = 3


def scalar(constant: int, input_range: tuple[int, int]) -> AdderGraph:
    """``constant * x`` as an adder chain: da4ml's adder count, and of the chains
    with that many adders the one with the fewest carry-chain bits
    (:attr:`Node.adder_bits`: additions let the low bits of the shifted operand's
    partner pass through, subtractions of an unshifted operand do not), then the
    shallowest.  Chains longer than :data:`SEARCH_ADDERS` are da4ml's own."""
    return _scalar(int(constant), (int(input_range[0]), int(input_range[1])))


@lru_cache(maxsize=32)
def _scalar(constant: int, input_range: tuple[int, int]) -> AdderGraph:
    da = _solve(((constant,),), input_range)
    if constant <= 0 or constant % 2 == 0 or not 0 < len(da.nodes) <= SEARCH_ADDERS:
        return da
    best = _search(constant, len(da.nodes), input_range)
    if best is None or _cost(best) >= _cost(da):
        return da
    _check(best, np.array([[constant]]))
    return best


def _cost(graph: AdderGraph) -> tuple[int, int]:
    return sum(nd.adder_bits for nd in graph.nodes), graph.max_depth


def _search(constant: int, adders: int, input_range: tuple[int, int]) -> AdderGraph | None:
    """Every chain of at most ``adders`` nodes ``(a << sa) +/- (b << sb)`` over odd
    positive values (one shift zero) that ends in ``constant``; the cheapest."""
    top = constant.bit_length() + 1
    best: list[tuple[tuple[int, int], AdderGraph]] = []

    def graph(chain: list[tuple[int, int, int, int, bool]]) -> AdderGraph:
        ranges: list[tuple[int, int]] = [input_range]
        depths: list[int] = [0]
        nodes: list[Node] = []
        for step in chain:
            _append(*step, ranges, depths, nodes)
        return AdderGraph(inputs=1, input_range=input_range, nodes=tuple(nodes),
                          outputs=(Output(value=len(nodes), shift=0, sign=1),))

    def steps(values: list[int]):  # type: ignore[no-untyped-def]
        for a, va in enumerate(values):
            for b, vb in enumerate(values):
                for s in range(top + 1):
                    for sa, sb in ((s, 0), (0, s)) if s else ((0, 0),):
                        for sub in (False, True):
                            v = (va << sa) - (vb << sb) if sub else (va << sa) + (vb << sb)
                            if v > 0 and v % 2 == 1 and v < 1 << (top + 1) and v not in values:
                                yield (a, b, sa, sb, sub), v

    def walk(values: list[int], chain: list[tuple[int, int, int, int, bool]]) -> None:
        for step, v in steps(values):
            if v == constant:
                g = graph([*chain, step])
                c = _cost(g)
                if not best or c < best[0][0]:
                    best[:] = [(c, g)]
            elif len(chain) + 1 < adders:
                walk([*values, v], [*chain, step])

    walk([1], [])
    return best[0][1] if best else None
