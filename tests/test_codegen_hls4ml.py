"""The hls4ml extension: the cell text is the Vitis target's, registration, the
PyTorch module, one-line refusals, and bit-exact hls4ml compile + predict against
``model.run`` followed by hls4ml's own fixed-point Dense arithmetic."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

hls4ml = pytest.importorskip("hls4ml")

from codegen import EmitOptions, render  # noqa: E402
from codegen.hls4ml import (  # noqa: E402
    Fixed,
    HadamRNN,
    cell_context,
    dense_reference,
    input_precision,
    output_precision,
    register,
    render_cell,
)
from model import FixedFormat, FlowError, random_ir, run, save_ir, tb_inputs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class Head(torch.nn.Module):
    def __init__(self, ir: Any, n_features: int, classes: int) -> None:
        super().__init__()
        self.rnn = HadamRNN(ir)
        self.fc = torch.nn.Linear(n_features, classes).double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.rnn(x))


def _head(ir: Any, steps: int, classes: int, seed: int, *, w_frac: int = 6
          ) -> tuple[Head, np.ndarray, np.ndarray]:
    n = ir.outputs * (steps if ir.readout == "every" else 1)
    net = Head(ir, n, classes)
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=(classes, n))
    b = rng.integers(-(1 << 14), 1 << 14, size=classes)
    with torch.no_grad():
        net.fc.weight.copy_(torch.from_numpy(w / 2.0**w_frac))
        net.fc.bias.copy_(torch.from_numpy(b / 2.0**w_frac))
    return net, w, b


def _convert(net: Head, input_shape: tuple[int, ...], out: Path, *, backend: str = "Vitis",
             conversion: str = "full", input_t: str | None = None,
             fc: dict[str, str] | None = None, datapath: str | None = None,
             io_type: str = "io_parallel") -> Any:
    config = hls4ml.utils.config_from_pytorch_model(
        net, input_shape, granularity="name", backend=backend,
        default_precision="ap_fixed<16,6>", channels_last_conversion=conversion)
    config["LayerName"]["x"]["Precision"]["result"] = input_t or input_precision(net.rnn.ir)
    config["LayerName"]["rnn"]["Trace"] = True
    if datapath:
        config["LayerName"]["rnn"]["Datapath"] = datapath
    if fc:
        config["LayerName"]["fc"]["Precision"] = fc
    return hls4ml.converters.convert_from_pytorch_model(
        net, output_dir=str(out), backend=backend, io_type=io_type, hls_config=config)


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    register()


# ---- the text ---------------------------------------------------------------------

def _between(code: str, start: str, end: str) -> str:
    i = code.index(start)
    text = code[i:code.index(end, i)]
    assert text.count("\n") >= 3, text
    return text


@pytest.mark.parametrize("datapath", ["hadamard", "dense"])
def test_cell_bodies_are_the_vitis_target_text(datapath: str) -> None:
    ir = random_ir(hidden=16, block_size=8, input_dim=3, outputs=2, seed=4)
    vitis = str(render(ir, EmitOptions(target="vitis", datapath=datapath))
                ["src/hadamrnn_top.cpp"])
    cell = render_cell(ir, layer="rnn", index=2, datapath=datapath)
    for start, end in (("// ---- U x_t", "// END recurrent path"),
                       ("    relu_t p[HRNN_HIDDEN];", "\n}\n"),
                       ("    const round_t q", "\n}\n")):
        assert _between(vitis, start, end) in cell
    assert "struct hadamrnn2_cell {" in cell
    ctx = cell_context(ir, datapath=datapath)
    assert f"typedef ap_int<{ctx.acc_width}> acc_t;" in cell
    assert output_precision(ir) == f"ap_int<{ctx.output_width}>"
    assert cell == render_cell(ir, layer="rnn", index=2, datapath=datapath)


def test_register_is_idempotent_and_refuses_what_it_cannot_serve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    register()
    register(["Vitis"])
    with pytest.raises(FlowError, match="backend 'Quartus' is not supported"):
        register(["Quartus"])
    monkeypatch.setattr(hls4ml, "__version__", "9.9.9")
    with pytest.raises(FlowError, match=r"tested against hls4ml 1\.3\.0; found 9\.9\.9"):
        register()


# ---- the PyTorch module -----------------------------------------------------------

def test_module_forward_is_model_run(tmp_path: Path) -> None:
    ir = random_ir(hidden=8, block_size=4, input_dim=2, outputs=3, seed=6)
    save_ir(ir, tmp_path / "ir")
    rnn = HadamRNN.load(tmp_path / "ir")
    x = tb_inputs(ir, count=5, steps=7, seed=1)
    want = np.asarray(run(ir, x)).reshape(5, -1)
    for given in (torch.from_numpy(x), torch.from_numpy(x.reshape(5, -1)).double()):
        y = rnn(given)
        assert y.dtype == torch.float64 and y.shape == (5, 7 * 3)
        assert np.array_equal(y.numpy(), want)
    with pytest.raises(FlowError, match="must be integers"):
        rnn(torch.full((1, 3, 2), 0.5))
    with pytest.raises(FlowError, match=r"shape \(batch, T, 2\) or \(batch, T\*2\)"):
        rnn(torch.zeros(1, 3))
    with pytest.raises(FlowError, match="must lie in"):
        rnn(torch.full((1, 3, 2), 1e6))
    with pytest.raises(FlowError, match="takes a model.DeploymentIR"):
        HadamRNN("not an IR")  # type: ignore[arg-type]


def test_fixed_cast_truncates_toward_minus_infinity_and_wraps() -> None:
    t = Fixed(8, 4)                   # frac 4, range [-8, 8)
    assert t.cast(-35, 5) == -18      # -1.09375 -> -1.125
    assert t.cast(35, 5) == 17        # 1.09375 -> 1.0625
    assert t.cast(8 << 4, 4) == -128  # 8.0 wraps to -8.0
    assert Fixed(4, 4, signed=False).cast(17, 0) == 1
    assert str(t) == "ap_fixed<8,4>"


# ---- refusals, one line each ------------------------------------------------------

def test_refusals_are_one_line(tmp_path: Path) -> None:
    ir = random_ir(hidden=8, block_size=8, input_dim=2, outputs=2, readout="last", seed=7)
    net, _, _ = _head(ir, 4, 2, seed=0)
    cases = [
        (dict(input_shape=(8,), input_t="ap_fixed<16,6>"), "does not hold the IR's integer"),
        (dict(input_shape=(4, 2)), "transposes a \\(T, 2\\) input"),
        (dict(input_shape=(7,)), "input size 7 is not a positive multiple of input_dim 2"),
        (dict(input_shape=(8,), backend="Quartus"), "backend Quartus has no HadamRNN"),
        (dict(input_shape=(8,), io_type="io_stream"), "io_type io_stream is not supported"),
    ]
    for kwargs, message in cases:
        shape = kwargs.pop("input_shape")
        with pytest.raises(FlowError, match=message) as info:
            _convert(net, shape, tmp_path / "prj", **kwargs)  # type: ignore[arg-type]
        assert "\n" not in str(info.value)


# ---- bit-exact: compile + predict -------------------------------------------------

def test_bit_identical_on_1000_sequences(tmp_path: Path) -> None:
    """n = 16 in blocks of 8 (odd log2 m: the CSD 1/sqrt(2)), readout 'last', then a
    Dense whose accumulator and result are narrow enough to truncate and wrap."""
    ir = random_ir(hidden=16, block_size=8, input_dim=3, outputs=4, readout="last", seed=21,
                   input_format=FixedFormat(width=6, frac=2, signed=True))
    steps, count = 16, 1000
    net, w, b = _head(ir, steps, 3, seed=1)
    accum_t, result_t = Fixed(26, 22), Fixed(12, 9)
    hls_model = _convert(net, (steps * ir.input_dim,), tmp_path / "prj", fc={
        "weight": "ap_fixed<8,2>", "bias": "ap_fixed<16,10>",
        "accum": str(accum_t), "result": str(result_t)})
    start = time.perf_counter()
    hls_model.compile()
    compile_s = time.perf_counter() - start
    x = tb_inputs(ir, count=count, steps=steps, seed=3)
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x, dtype=np.float64)))
    y = np.asarray(run(ir, x))
    want = dense_reference(y, 0, w, b, weight_t=Fixed(8, 2), bias_t=Fixed(16, 10),
                           accum_t=accum_t, result_t=result_t)
    wide = Fixed(60, 54)
    exact = dense_reference(y, 0, w, b, weight_t=Fixed(8, 2), bias_t=Fixed(16, 10),
                            accum_t=wide, result_t=wide)
    # the narrow types do truncate (low bits) and wrap (beyond +-2^8) somewhere
    assert np.any(exact % 2**(wide.frac - result_t.frac) != 0)
    assert np.any(abs(exact) >= 2**(result_t.integer - 1 + wide.frac))
    differ = got.reshape(count, -1) * 2.0**result_t.frac != want.astype(np.float64)
    assert int(differ.sum()) == 0, f"{int(differ.any(axis=1).sum())} sequences differ"
    # the HadamRNN layer's own output, through hls4ml's trace (a second build)
    _, trace = hls_model.trace(np.ascontiguousarray(x[:count], dtype=np.float64))
    assert np.array_equal(np.asarray(trace["rnn"]).reshape(count, -1), y)
    print(f"compile {compile_s:.1f} s, {count} sequences, 0 differ")


def test_every_readout_dense_datapath_2d_input_vivado(tmp_path: Path) -> None:
    """Readout 'every' (flattened, step-major), the dense datapath, a (T, d) input
    with channels_last_conversion='internal', unsigned inputs, the Vivado backend."""
    ir = random_ir(hidden=8, block_size=4, input_dim=2, outputs=3, readout="every", seed=22,
                   input_format=FixedFormat(width=3, frac=0, signed=False),
                   state_rounding="floor")
    steps, count = 6, 200
    net, w, b = _head(ir, steps, 2, seed=2)
    exact = Fixed(48, 42)
    hls_model = _convert(net, (steps, ir.input_dim), tmp_path / "prj", backend="Vivado",
                         conversion="internal", datapath="dense", fc={
                             "weight": "ap_fixed<8,2>", "bias": "ap_fixed<16,10>",
                             "accum": str(exact), "result": str(exact)})
    x = tb_inputs(ir, count=count, steps=steps, seed=4)
    got, trace = hls_model.trace(np.ascontiguousarray(x, dtype=np.float64))
    y = np.asarray(run(ir, x)).reshape(count, -1)
    assert np.array_equal(np.asarray(trace["rnn"]).reshape(count, -1), y)
    want = dense_reference(y, 0, w, b, weight_t=Fixed(8, 2), bias_t=Fixed(16, 10),
                           accum_t=exact, result_t=exact)
    assert np.array_equal(np.asarray(got).reshape(count, -1) * 2.0**exact.frac,
                          want.astype(np.float64))
    code = (tmp_path / "prj" / "firmware" / "nnet_utils" / "nnet_code_gen.h").read_text()
    assert "datapath=dense" in code and "s0_" in code


@pytest.mark.slow
def test_example_on_the_trained_copy_model(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """examples/hls4ml on examples/copy200 (n = 128, trained), short sequences."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hls4ml_hadamrnn", REPO / "examples" / "hls4ml" / "hls4ml_hadamrnn.py")
    assert spec and spec.loader
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    rc = example.main([str(REPO / "examples" / "copy200"), "--steps", "8",
                       "--sequences", "200", "--out", str(tmp_path / "prj")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "bit-exact: 0 of 200 sequences differ" in out
    assert "firmware/nnet_utils/nnet_hadamrnn.h" in out
