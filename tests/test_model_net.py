"""model.net: the Brevitas forward equals the integer reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import model
from model import FixedFormat, IRError
from model.net import (
    HadamRNN,
    block_hadamard,
    from_ir,
    fwht,
    fwht_dense,
    sylvester,
    to_ir,
)
from model.net._export import embedding_table

torch.set_num_threads(1)


def _real(ir: model.DeploymentIR, x_int: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x_int * 2.0**-ir.input_format.frac)


def _assert_matches_reference(net: HadamRNN, ir: model.DeploymentIR, x_int: np.ndarray,
                              x_in: torch.Tensor | None = None) -> None:
    """Outputs and every state of the torch forward, as integers, equal model.run."""
    y_ref, h_ref = model.run(ir, x_int, return_states=True)
    with torch.no_grad():
        y, hs = net(_real(ir, x_int) if x_in is None else x_in, return_states=True)
    y_int = y.numpy() * 2.0**ir.output_frac
    h_int = hs.numpy() * 2.0**ir.state_format.frac
    assert np.array_equal(y_int, np.floor(y_int)) and np.array_equal(h_int, np.floor(h_int))
    np.testing.assert_array_equal(h_int.astype(np.int64), h_ref)
    np.testing.assert_array_equal(y_int.astype(np.int64), y_ref)


# ------------------------------------------------------------------ Hadamard


def test_sylvester_is_orthogonal_up_to_n() -> None:
    for n in (1, 2, 4, 8, 64, 256):
        s = sylvester(n)
        assert set(s.unique().tolist()) <= {-1.0, 1.0}
        assert torch.equal(s @ s.T, n * torch.eye(n, dtype=s.dtype))
    assert torch.equal(sylvester(4)[1], torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64))


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64, 128, 256])
def test_fwht_equals_dense_and_reference_for_every_block(n: int) -> None:
    rng = np.random.default_rng(n)
    for block in (2**j for j in range(n.bit_length())):
        x = rng.integers(-(1 << 20), 1 << 20, size=(3, 2, n))
        got = fwht(torch.from_numpy(x).double(), block)
        assert torch.equal(got, fwht_dense(torch.from_numpy(x).double(), block))
        np.testing.assert_array_equal(got.numpy().astype(np.int64), model.fwht_int(x, block))
        dense = block_hadamard(n, block)
        assert int((dense != 0).sum()) == n * block


def test_fwht_is_differentiable() -> None:
    x = torch.randn(4, 16, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 16, dtype=torch.float64)
    (fwht(x, 4) * w).sum().backward()
    # d/dx of <(I (x) S_4) x, w> = (I (x) S_4) w (S symmetric)
    assert torch.allclose(x.grad, fwht_dense(w, 4), rtol=0, atol=1e-12)


# ------------------------------------------------------------------ equality on random IRs


@st.composite
def ir_configs(draw: st.DrawFn) -> dict:
    kn = draw(st.integers(1, 8))
    km = draw(st.integers(0, kn))
    width = draw(st.integers(3, 24))
    return {
        "hidden": 1 << kn,
        "block_size": 1 << km,
        "input_dim": draw(st.integers(1, 5)),
        "outputs": draw(st.integers(1, 4)),
        "readout": draw(st.sampled_from(["every", "last"])),
        "seed": draw(st.integers(0, 10_000)),
        "state_rounding": draw(st.sampled_from(["half_up", "floor"])),
        "state_format": FixedFormat(width=width, frac=draw(st.integers(-2, width + 2))),
        "input_format": FixedFormat(width=draw(st.integers(1, 10)),
                                    frac=draw(st.integers(-2, 8)), signed=draw(st.booleans())),
        "weight_bits": draw(st.integers(2, 8)),
        "inv_sqrt2_frac": draw(st.integers(2, 24)),
        "zero_fraction": draw(st.sampled_from([0.0, 0.2, 1.0])),
    }


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(cfg=ir_configs(), extreme=st.booleans(), steps=st.integers(1, 12))
def test_from_ir_forward_equals_reference(cfg: dict, extreme: bool, steps: int) -> None:
    try:
        ir = model.random_ir(**cfg)
    except IRError:
        assume(False)  # a datapath wider than 53 bits: the IR itself refuses it
    x = model.random_inputs(ir, batch=3, steps=steps, seed=cfg["seed"], extreme=extreme)
    net = from_ir(ir)
    _assert_matches_reference(net, ir, x)
    net.loop = "cell"  # the step-by-step autograd path computes the same integers
    _assert_matches_reference(net, ir, x)


def test_extreme_inputs_saturate_the_state_and_still_match() -> None:
    ir = model.random_ir(hidden=32, block_size=8, input_dim=4, outputs=3, seed=3,
                         state_format=FixedFormat(width=8, frac=2),
                         input_format=FixedFormat(width=8, frac=0))
    x = model.random_inputs(ir, batch=4, steps=20, seed=1, extreme=True)
    _, h = model.run(ir, x, return_states=True)
    assert np.abs(h).max() == ir.state_max  # saturation happened
    _assert_matches_reference(from_ir(ir), ir, x)


def test_from_ir_reproduces_the_ir_values() -> None:
    ir = model.random_ir(hidden=16, block_size=4, input_dim=3, outputs=2, seed=5)
    back = HadamRNN.from_ir(ir).to_ir()
    for name, frac in (("input_weight", "input_weight_frac"),
                       ("output_weight", "output_weight_frac")):
        np.testing.assert_array_equal(getattr(back, name) * 2.0**-getattr(back, frac),
                                      getattr(ir, name) * 2.0**-getattr(ir, frac))
    for name in ("sign", "state_bias", "output_bias"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ir, name))
    assert (back.state_format, back.input_format, back.state_rounding) == (
        ir.state_format, ir.input_format, ir.state_rounding)


def test_sign_of_zero_is_plus_one() -> None:
    ir = model.random_ir(hidden=4, input_dim=1, outputs=1, seed=0)
    net = from_ir(ir)
    with torch.no_grad():
        net.u.zero_()
    assert np.array_equal(to_ir(net).sign, np.ones(4, dtype=np.int64))


# ------------------------------------------------------------------ trained models


def _briefly_trained(**kw: object) -> HadamRNN:
    torch.manual_seed(0)
    cfg = {"input_dim": 10, "hidden": 16, "outputs": 9, "block_size": 8,
           "input_format": FixedFormat(width=1, frac=0, signed=False),
           "state_format": FixedFormat(width=12, frac=6)}
    cfg.update(kw)
    net = HadamRNN(**cfg)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(1)
    for _ in range(6):
        if net.embedding is not None:
            x = torch.randint(0, net.config.vocab, (8, 12), generator=gen)
        else:
            x = torch.nn.functional.one_hot(torch.randint(0, 10, (8, 12), generator=gen),
                                            10).float()
        y = torch.randint(0, 9, (8, 12) if net.config.readout == "every" else (8,),
                          generator=gen)
        logits = net(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 9), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


@pytest.mark.parametrize("kw", [
    {},
    {"block_size": 16, "state_rounding": "floor", "readout": "last"},
    {"block_size": 2, "inv_sqrt2_frac": 9},
])
def test_briefly_trained_model_equals_reference_on_its_export(kw: dict) -> None:
    net = _briefly_trained(**kw)
    ir = to_ir(net)
    assert net.u.grad is not None and bool(net.u.grad.abs().sum() > 0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 10, size=(16, 40))
    x = np.eye(10, dtype=np.int64)[tokens]
    _assert_matches_reference(net, ir, x)
    # saved and loaded through the IR files, still the same integers
    _assert_matches_reference(from_ir(ir), ir, x)


def test_briefly_trained_token_model_with_embedding(tmp_path) -> None:
    net = _briefly_trained(vocab=20, input_dim=6, input_format=FixedFormat(width=6, frac=4))
    ir = to_ir(net)
    table, fmt = embedding_table(net)
    assert table.shape == (20, 6) and fmt == ir.input_format
    ids = np.random.default_rng(1).integers(0, 20, size=(5, 30))
    _assert_matches_reference(net, ir, table[ids], x_in=torch.from_numpy(ids))


def test_float_state_model_exports_and_its_exact_mode_matches() -> None:
    net = _briefly_trained(hardware_exact=False)
    assert net(torch.zeros(2, 3, 10)).dtype == torch.float32
    ir = to_ir(net)
    net.set_hardware_exact(True)
    x = np.eye(10, dtype=np.int64)[np.random.default_rng(2).integers(0, 10, size=(6, 25))]
    _assert_matches_reference(net, ir, x)


# ------------------------------------------------------------------ gradients


@pytest.mark.parametrize(("hardware_exact", "extra"), [
    (True, {}), (False, {}), (True, {"readout": "last"}), (True, {"vocab": 7}),
    (False, {"vocab": 7, "readout": "last"})])
def test_fused_loop_gradients_equal_stepwise_autograd(hardware_exact: bool, extra: dict) -> None:
    torch.manual_seed(3)
    net = HadamRNN(input_dim=3, hidden=16, outputs=4, block_size=8,
                   input_format=FixedFormat(width=8, frac=5),
                   state_format=FixedFormat(width=10, frac=6), hardware_exact=hardware_exact,
                   **extra)
    with torch.no_grad():
        net.state_bias.uniform_(-0.5, 0.5)
        net.input.weight.mul_(8)  # drive some states into saturation
    x = (torch.randint(0, 7, (5, 30), generator=torch.Generator().manual_seed(4))
         if "vocab" in extra else torch.randn(5, 30, 3))
    grads = {}
    for loop in ("fused", "cell"):
        net.loop = loop
        net.zero_grad()
        y, hs = net(x, return_states=True)
        loss = y.square().sum()
        if "vocab" not in extra:  # token cases: no gradient reaches the states directly
            loss = loss + hs.sum()
        loss.backward()
        grads[loop] = {k: p.grad.clone() for k, p in net.named_parameters()}
    if hardware_exact:
        st_max = net.config.state_format.max_int * 2.0**-net.config.state_format.frac
        assert bool((hs.abs() == st_max).any())  # the clamp gradient is exercised
    tol = 1e-9 if hardware_exact else 1e-4
    for name, g in grads["fused"].items():
        assert torch.allclose(g, grads["cell"][name], rtol=tol, atol=tol), name
    assert bool(grads["fused"]["u"].abs().sum() > 0)  # the STE lets the sign learn


# ------------------------------------------------------------------ number format


@pytest.mark.parametrize(("width", "hidden", "block"), [
    (16, 128, 128), (16, 256, 256), (17, 128, 128), (24, 16, 1), (12, 64, 16), (20, 32, 32)])
def test_work_dtype_is_float32_exactly_when_the_widest_fwht_stage_fits_24_bits(
        width: int, hidden: int, block: int) -> None:
    from model._widths import datapath_widths
    from model.net._kernels import work_dtype

    ir = model.random_ir(hidden=hidden, block_size=block, input_dim=2, outputs=2, seed=0,
                         state_format=FixedFormat(width=width, frac=width // 2))
    widest = max(datapath_widths(ir).stages, default=width)
    got = work_dtype(width, ir.log2_block, quantized=True)
    assert got == (np.float32 if widest <= 24 else np.float64)
    assert work_dtype(width, ir.log2_block, quantized=False) == np.float32
    # and the fused loop on that dtype still equals the reference
    x = model.random_inputs(ir, batch=3, steps=6, seed=1, extreme=True)
    _assert_matches_reference(from_ir(ir), ir, x)


def test_fused_cross_entropy_equals_torch() -> None:
    from model.net._recurrence import fused_cross_entropy

    gen = torch.Generator().manual_seed(0)
    base = torch.randn(7, 9, 5, dtype=torch.float64, generator=gen) * 4  # (T, o, B)
    base[2, 3] = base[2, 5]  # ties: the first maximum wins, as in torch
    logits = base.permute(2, 0, 1).requires_grad_()  # (B, T, o), time first in memory
    target = torch.randint(0, 9, (5, 7), generator=gen)
    loss, pred = fused_cross_entropy(logits, target)
    loss.backward()
    ref = logits.detach().clone().requires_grad_()
    want = torch.nn.functional.cross_entropy(ref.reshape(-1, 9), target.reshape(-1))
    want.backward()
    assert abs(loss.item() - want.item()) < 1e-12
    assert torch.allclose(logits.grad, ref.grad, rtol=0, atol=1e-14)
    assert torch.equal(pred, ref.argmax(-1))
