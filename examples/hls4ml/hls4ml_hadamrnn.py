"""A trained HadamRNN inside an hls4ml model: convert, compile, predict, compare.

The PyTorch model is the HadamRNN (integer reference forward) followed by a
``torch.nn.Linear`` over its flattened readout.  hls4ml converts both; the
HadamRNN layer's C++ is printed from the same hardware description as the Vitis
target.  The check: hls4ml's outputs equal ``model.run`` followed by hls4ml's own
fixed-point Dense arithmetic (``codegen.hls4ml.dense_reference``), bit for bit.

    python examples/hls4ml/hls4ml_hadamrnn.py examples/copy200 --steps 20 \
        --sequences 1000 --out build/hls4ml_copy200
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from model import DeploymentIR, FlowError, OneLineParser, positive_int, run, run_cli, tb_inputs

#: PyTorch's Linear weights on a 2^-6 grid, 8-bit, as hls4ml's weight type holds them.
WEIGHT_T = "ap_fixed<8,2>"
BIAS_T = "ap_fixed<16,10>"
FRAC = 6
CLASSES = 4


class HadamRNNHead(torch.nn.Module):
    """HadamRNN (flattened readout) -> Linear.  The input is named ``x``."""

    def __init__(self, rnn: torch.nn.Module, n_features: int, classes: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.fc = torch.nn.Linear(n_features, classes).double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.rnn(x))


def grid_linear(fc: torch.nn.Linear, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random weights and biases on the 2^-FRAC grid that WEIGHT_T / BIAS_T hold."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=tuple(fc.weight.shape))
    b = rng.integers(-(1 << 14), 1 << 14, size=tuple(fc.bias.shape))
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(w / 2.0**FRAC))
        fc.bias.copy_(torch.from_numpy(b / 2.0**FRAC))
    return w, b


def accum_bits(output_width: int, n_in: int) -> int:
    """An accumulator that holds every sum exactly (and fits a double)."""
    return output_width + 8 + n_in.bit_length() + 1


def project_files(out: Path) -> list[str]:
    skip = ("firmware/ap_types/", "firmware/weights/", "firmware/nnet_utils/nnet_")
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return [n for n in names if not n.startswith(skip) or n.endswith("nnet_hadamrnn.h")
            or n.endswith("nnet_code_gen.h")]


def check(ir: DeploymentIR, *, steps: int, sequences: int, out: Path, backend: str,
          seed: int) -> int:
    import hls4ml

    from codegen.hls4ml import (
        Fixed,
        HadamRNN,
        cell_context,
        dense_reference,
        input_precision,
        output_precision,
        register,
    )

    register()
    n_features = ir.outputs * (steps if ir.readout == "every" else 1)
    net = HadamRNNHead(HadamRNN(ir), n_features, CLASSES)
    w, b = grid_linear(net.fc, seed)
    acc = accum_bits(cell_context(ir).output_width, n_features)
    if acc > 53:
        raise FlowError(f"the Dense accumulator would need {acc} bits; predict() returns "
                        "doubles (53 bits): use fewer --steps")
    accum_t = Fixed(acc, acc - FRAC)
    config = hls4ml.utils.config_from_pytorch_model(
        net, (steps * ir.input_dim,), granularity="name", backend=backend,
        default_precision="ap_fixed<16,6>")
    config["LayerName"]["x"]["Precision"]["result"] = input_precision(ir)
    config["LayerName"]["fc"]["Precision"] = {
        "weight": WEIGHT_T, "bias": BIAS_T, "accum": str(accum_t), "result": str(accum_t)}
    hls_model = hls4ml.converters.convert_from_pytorch_model(
        net, output_dir=str(out), backend=backend, io_type="io_parallel", hls_config=config)
    start = time.perf_counter()
    hls_model.compile()
    compile_s = time.perf_counter() - start

    x = tb_inputs(ir, count=sequences, steps=steps, seed=seed)
    got = np.asarray(hls_model.predict(np.ascontiguousarray(x, dtype=np.float64)))
    y = np.asarray(run(ir, x)).reshape(sequences, -1)
    want = dense_reference(y, 0, w, b, weight_t=Fixed(8, 2), bias_t=Fixed(16, 10),
                           accum_t=accum_t, result_t=accum_t)
    got_q = got.reshape(sequences, -1) * 2.0**accum_t.frac
    differ = np.asarray(got_q != want.astype(np.float64))
    torch_out = net(torch.from_numpy(x)).detach().numpy()
    print(f"hls4ml {hls4ml.__version__}, backend {backend}: {ir.name}, T = {steps}, "
          f"{sequences} sequences; HadamRNN output {output_precision(ir)}, "
          f"Dense accum/result {accum_t}")
    print(f"compile: {compile_s:.1f} s")
    print(f"bit-exact: {int(differ.any(axis=1).sum())} of {sequences} sequences differ "
          f"({int(differ.sum())} of {differ.size} outputs)")
    print(f"torch float64 forward vs hls4ml: max |difference| "
          f"{float(np.abs(torch_out - got.reshape(torch_out.shape)).max()):.3g} "
          "(the Linear in floating point)")
    print(f"project {out}:")
    for name in project_files(out):
        print(f"  {name}")
    return 1 if differ.any() else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="hls4ml_hadamrnn", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ir", help="IR folder, run export folder or QONNX cell")
    parser.add_argument("--steps", type=positive_int, default=20, help="T (default 20)")
    parser.add_argument("--sequences", type=positive_int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("build/hls4ml_hadamrnn"))
    parser.add_argument("--backend", default="Vitis", choices=("Vitis", "Vivado"))
    parser.add_argument("--seed", type=int, default=0)

    def go(args: argparse.Namespace) -> int:
        from model import read_ir

        return check(read_ir(args.ir), steps=args.steps, sequences=args.sequences,
                     out=args.out, backend=args.backend, seed=args.seed)

    parser.set_defaults(func=go)
    return run_cli(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
