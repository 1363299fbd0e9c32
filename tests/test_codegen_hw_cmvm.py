"""codegen/hw/_cmvm.py: da4ml's constant matrix-vector solution as an integer
adder graph (the ``--arith da`` readout and x 1/sqrt(2) product)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import model
from codegen.hw import EmitOptions, adder_counts, describe, row_terms, stage_graph
from codegen.hw import _cmvm as cmvm
from model import FlowError

ROOT = Path(__file__).resolve().parents[1]


def _exact(matrix: np.ndarray, x: np.ndarray) -> list[int]:
    return [int(v) for v in matrix.astype(object) @ x.astype(object)]


@pytest.mark.parametrize("seed", range(6))
def test_graph_computes_the_matrix_on_random_and_extreme_inputs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = int(rng.integers(1, 10)), int(rng.integers(1, 48))
    matrix = rng.integers(-8, 8, size=(rows, cols))
    lo, hi = (0, 255) if seed % 2 else (-128, 127)
    graph = cmvm.solve(matrix, (lo, hi))
    assert graph.inputs == cols and len(graph.outputs) == rows
    for x in (rng.integers(lo, hi + 1, size=cols), np.full(cols, lo), np.full(cols, hi)):
        assert graph.evaluate(list(x)) == _exact(matrix, x)


def test_trained_copy_readout_needs_about_half_the_adders() -> None:
    ir = model.load_ir(ROOT / "examples" / "copy200_f8")
    V = np.asarray(ir.output_weight)
    relu_max = (1 << (ir.state_format.width - 1)) - 1
    graph = cmvm.solve(V, (0, relu_max))
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, relu_max + 1, size=V.shape[1])
        assert graph.evaluate(list(x)) == _exact(V, x)
    # the CSD readout sums one term per digit (1,149 terms, 1,140 adders); the
    # shared graph about half as many adders
    digits = sum(len(row_terms(int(v) for v in row)) for row in V)
    assert digits == 1149
    assert len(graph.nodes) < 0.6 * digits


def test_node_ranges_hold_every_value_they_can_take() -> None:
    """Each node's declared range (its RTL width) holds what it computes, with the
    corners of every input reached."""
    rng = np.random.default_rng(3)
    matrix = rng.integers(-8, 8, size=(5, 24))
    graph = cmvm.solve(matrix, (0, 1023))
    for x in (np.zeros(24, int), np.full(24, 1023), rng.integers(0, 1024, size=24)):
        vals = [int(v) for v in x]
        for nd in graph.nodes:
            a, b = vals[nd.a] << nd.sa, vals[nd.b] << nd.sb
            vals.append(a - b if nd.sub else a + b)
            assert nd.lo <= vals[-1] <= nd.hi
            assert -(1 << (nd.width - 1)) <= vals[-1] < (1 << (nd.width - 1))


def test_constant_product_is_a_short_chain() -> None:
    """x 181 (1/sqrt(2) with 8 fraction bits: 5 CSD digits) in 3 adders; with 16
    fraction bits (46341, 7 digits) in 4."""
    for c, adders in ((181, 3), (46341, 4)):
        graph = cmvm.solve(np.array([[c]]), (-(1 << 22), (1 << 22) - 1))
        assert len(graph.nodes) == adders
        for x in (-(1 << 22), -1, 0, 1, 12345, (1 << 22) - 1):
            assert graph.evaluate([x]) == [c * x]


def test_solution_is_deterministic() -> None:
    matrix = np.random.default_rng(1).integers(-8, 8, size=(9, 64))
    first = cmvm.solve(matrix, (0, 32767))
    cmvm._solve.cache_clear()
    assert cmvm.solve(matrix, (0, 32767)) == first


@pytest.mark.parametrize("adders", [1, 2, 3])
def test_stages_read_only_what_earlier_stages_registered(adders: int) -> None:
    matrix = np.random.default_rng(2).integers(-8, 8, size=(6, 40))
    graph = cmvm.solve(matrix, (0, 32767))
    st = stage_graph(graph, adders)
    for j, nd in enumerate(graph.nodes):
        v = graph.inputs + j
        s = st.stage[v]
        assert 1 <= s and nd.depth <= s * adders
        for operand in (nd.a, nd.b):
            assert st.stage[operand] <= s
            # within a stage, at most ``adders`` in series
            if st.stage[operand] == s:
                assert graph.depth(operand) < nd.depth
        assert st.last_use[v] >= s
    assert st.levels == max(st.stage) + 1
    for o in graph.outputs:
        assert st.last_use[o.value] == st.levels


def test_a_wrong_graph_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The graph's map is recomputed from its nodes: a solver that returned the
    wrong product is caught before anything is rendered."""
    matrix = np.array([[3, 5], [7, -2]])
    graph = cmvm.solve(matrix, (0, 15))
    with pytest.raises(FlowError, match="differs from V"):
        cmvm._check(graph, matrix + np.array([[0, 0], [0, 1]]))


def test_design_records_graphs_only_when_asked() -> None:
    ir = model.random_ir(hidden=8, input_dim=3, outputs=3, seed=4)
    csd = describe(ir, EmitOptions(target="verilog", pipeline=5, interleave=5))
    assert csd.readout_graph is None and csd.product_graph is None
    da = describe(ir, EmitOptions(target="verilog", pipeline=5, interleave=5, arith="da"))
    assert da.readout_graph is not None and da.product_graph is not None
    assert da.readout_tree is None and da.readout_levels == da.readout_graph.levels
    assert da.schedule.drain - csd.schedule.drain == da.readout_levels - csd.readout_levels
    # the manifest's adder counts follow: per row the chain replaces the CSD terms
    # of 1/sqrt(2) (46341: 7 terms, 6 adders; the chain 4)
    rows = len(da.update_rows)
    saved = len(csd.inv_sqrt2_terms) - 1 - len(da.product_graph.nodes)
    assert adder_counts(csd)["update"] - adder_counts(da)["update"] == rows * saved == 16
    assert adder_counts(da)["readout"] == len(da.readout_graph.graph.nodes) + \
        da.readout_graph.graph.output_adders([int(c) for c in ir.output_bias])


@pytest.mark.parametrize("opts", [dict(target="vitis", arch="stream", interleave=2,
                                       arith="da"),
                                  dict(target="verilog", arith="dsp")])
def test_arith_da_refused_where_it_does_not_apply(opts: dict[str, object]) -> None:
    ir = model.random_ir(hidden=8, input_dim=3, outputs=3, seed=4)
    with pytest.raises(FlowError, match="--arith"):
        describe(ir, EmitOptions(**opts))  # type: ignore[arg-type]
