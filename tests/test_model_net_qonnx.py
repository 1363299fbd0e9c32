"""model.net QONNX export: the one-step graph, run by qonnx, equals the torch step."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

import model
from model import FixedFormat
from model.net import from_ir, to_ir
from model.net._qonnx import build_qonnx, run_qonnx, save_qonnx

torch.set_num_threads(1)


def _inputs(ir: model.DeploymentIR, rng: np.random.Generator, batch: int) -> np.ndarray:
    """Real inputs: random values, values exactly half an lsb between two grid points
    (negative ones too: the half-up direction matters there) and out-of-range ones."""
    fmt = ir.input_format
    lsb = 2.0**-fmt.frac
    ties = (rng.integers(fmt.min_int - 2, fmt.max_int + 2, size=(batch, ir.input_dim)) + 0.5)
    x = rng.normal(scale=(fmt.max_int + 1) * lsb, size=(batch, ir.input_dim))
    return np.where(rng.random(x.shape) < 0.5, ties * lsb, x)


def _states(ir: model.DeploymentIR, rng: np.random.Generator, batch: int) -> np.ndarray:
    m = ir.state_max
    return rng.integers(-m, m + 1, size=(batch, ir.hidden)) * 2.0**-ir.state_format.frac


def _check_steps(net, onx, ir, steps: int, batch: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    h = np.zeros((batch, ir.hidden))
    for t in range(steps):
        x = _inputs(ir, rng, batch)
        if t % 2:
            h = _states(ir, rng, batch)  # arbitrary states, saturated ones included
        h_q, y_q = run_qonnx(onx, x, h)
        with torch.no_grad():
            h_t, y_t = net.step(torch.from_numpy(x), torch.from_numpy(h))
        np.testing.assert_array_equal(h_q, h_t.numpy())
        np.testing.assert_array_equal(y_q, y_t.numpy())
        # and both equal the integer reference's step
        x_int = model.quantize(x, ir.input_format)
        h_int = np.round(h * 2.0**ir.state_format.frac).astype(np.int64)
        h_ref = model.step(ir, h_int, x_int)
        np.testing.assert_array_equal(h_q * 2.0**ir.state_format.frac, h_ref)
        np.testing.assert_array_equal(y_q * 2.0**ir.output_frac, model.readout(ir, h_ref))
        h = h_q


@pytest.mark.parametrize(("hidden", "block", "rounding", "in_fmt"), [
    (16, 16, "half_up", FixedFormat(width=8, frac=4, signed=True)),
    (32, 8, "floor", FixedFormat(width=6, frac=3, signed=True)),
    (8, 2, "half_up", FixedFormat(width=5, frac=4, signed=False)),
])
def test_qonnx_step_equals_torch_step_exactly(hidden, block, rounding, in_fmt) -> None:
    ir = model.random_ir(hidden=hidden, block_size=block, input_dim=3, outputs=4, seed=hidden,
                         state_rounding=rounding, input_format=in_fmt,
                         state_format=FixedFormat(width=12, frac=5))
    net = from_ir(ir)
    onx = build_qonnx(net, batch=4)
    ops = [n.op_type for n in onx.graph.node]
    assert ops.count("Quant") == 6 and ops.count("BipolarQuant") == 1
    _check_steps(net, onx, ir, steps=6, batch=4, seed=1)


def test_qonnx_file_of_a_trained_model(tmp_path) -> None:
    torch.manual_seed(0)
    from model.net import HadamRNN

    net = HadamRNN(input_dim=10, hidden=16, outputs=9, block_size=16,
                   input_format=FixedFormat(width=1, frac=0, signed=False),
                   state_format=FixedFormat(width=16, frac=8))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(3):
        x = torch.nn.functional.one_hot(torch.randint(0, 10, (4, 10)), 10).float()
        loss = net(x).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    path = save_qonnx(net, tmp_path / "cell.onnx")
    loaded = onnx.load(str(path))
    assert {i.name for i in loaded.graph.input} == {"x_t", "h_prev"}
    assert [o.name for o in loaded.graph.output] == ["h_t", "y_t"]
    _check_steps(net, str(path), to_ir(net), steps=4, batch=1, seed=2)
