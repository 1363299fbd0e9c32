"""The QONNX cell: IR -> QONNX -> IR is exact field by field; the graph executes
like the integer reference; graphs that are not HadamRNN cells are refused in one
line; codegen emits from the .onnx file directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

import model
from model import FixedFormat, ir_to_json, ir_to_qonnx, qonnx_to_ir, random_ir

ARRAYS = ("sign", "input_weight", "state_bias", "output_weight", "output_bias")
ROOT = Path(__file__).resolve().parents[1]


def _same(a: model.DeploymentIR, b: model.DeploymentIR) -> None:
    assert ir_to_json(a) == ir_to_json(b)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def _random_cases() -> list[model.DeploymentIR]:
    cases = []
    rng = np.random.default_rng(7)
    for i in range(24):
        n = int(2 ** rng.integers(1, 7))
        m = int(2 ** rng.integers(0, int(np.log2(n)) + 1))
        cases.append(random_ir(
            hidden=n, block_size=m, input_dim=int(rng.integers(1, 6)),
            outputs=int(rng.integers(1, 5)), seed=i,
            readout="every" if i % 2 else "last",
            state_rounding="half_up" if i % 3 else "floor",
            weight_bits=int(rng.integers(2, 7)), inv_sqrt2_frac=int(rng.integers(2, 17)),
            input_format=FixedFormat(width=int(rng.integers(1, 9)), frac=int(rng.integers(0, 6)),
                                     signed=bool(i % 4)),
            state_format=FixedFormat(width=int(rng.integers(6, 17)), frac=int(rng.integers(2, 9)))))
    return cases


@pytest.mark.parametrize("ir", _random_cases(), ids=lambda ir: ir.name)
def test_round_trip_random_irs(ir: model.DeploymentIR) -> None:
    _same(qonnx_to_ir(ir_to_qonnx(ir)), ir)


def test_round_trip_trained_model_and_file(tmp_path: Path) -> None:
    ir = model.load_ir(ROOT / "examples" / "copy200")
    path = tmp_path / "cell.onnx"
    onnx.save(ir_to_qonnx(ir), str(path))
    _same(model.read_ir(path), ir)


def test_the_graph_computes_the_reference_step() -> None:
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    ir = random_ir(hidden=16, block_size=8, input_dim=3, outputs=2, seed=5, weight_bits=4)
    g = ModelWrapper(ir_to_qonnx(ir, batch=8))
    x = model.random_inputs(ir, batch=8, steps=1, seed=1)[:, 0, :]
    rng = np.random.default_rng(2)
    h = rng.integers(-ir.state_max, ir.state_max + 1, size=(8, ir.hidden))
    out = execute_onnx(g, {"x_t": x * 2.0**-ir.input_format.frac,
                           "h_prev": h * 2.0**-ir.state_format.frac})
    want = model.step(ir, h, x)
    np.testing.assert_array_equal(np.rint(out["h_t"] * 2.0**ir.state_format.frac), want)
    np.testing.assert_array_equal(np.rint(out["y_t"] * 2.0**ir.output_frac),
                                  model.readout(ir, want))


@pytest.mark.parametrize(("damage", "needle"), [
    (lambda m: m.graph.initializer.remove(
        next(t for t in m.graph.initializer if t.name == "hadamard")), "no initializer 'hadamard'"),
    (lambda m: setattr(next(n for n in m.graph.node if n.output[0] == "relu_h"), "op_type",
                       "Sigmoid"), "'relu_h' is produced by a Sigmoid node, expected Relu"),
    (lambda m: m.graph.output[1].__setattr__("name", "z_t"), "outputs"),
])
def test_a_graph_that_is_not_a_cell_is_refused_in_one_line(tmp_path: Path, damage, needle,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    from codegen import main

    onx = ir_to_qonnx(random_ir(hidden=8, input_dim=2, outputs=2, seed=1))
    damage(onx)
    path = tmp_path / "bad.onnx"
    onnx.save(onx, str(path))
    assert main(["emit", str(path), "--target", "verilog", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a HadamRNN QONNX cell" in err and needle in err
    assert not (tmp_path / "o").exists()


def test_codegen_emits_and_estimates_from_the_committed_example(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from codegen import main

    cell = ROOT / "examples" / "qonnx" / "cell_n16_m4.qonnx.onnx"
    assert main(["emit", str(cell), "--target", "verilog", "--out", str(tmp_path / "rtl")]) == 0
    emitted = model.load_ir(tmp_path / "rtl" / "ir")
    _same(emitted, model.read_ir(cell))
    assert main(["estimate", str(cell), "--board", "ice40-up5k", "--arch", "stream"]) == 0
    assert "verdict" in capsys.readouterr().out
