"""One recurrent step of a HadamRNN as a QONNX graph (inputs x_t, h_{t-1};
outputs h_t, y_t), built with ``onnx.helper`` and run by qonnx's ``execute_onnx``.

Quantization points are QONNX ``Quant`` nodes (``BipolarQuant`` for the sign):
the input, U, the state bias, the state, V and the output bias.  The graph computes
in DOUBLE so the accumulator is exact.  qonnx's ``HALF_UP`` mode rounds half away
from zero, not toward +infinity as the hardware does, so half-up rounding is
expressed as ``Add(half an lsb)`` followed by a ``FLOOR`` Quant.  qonnx's Quant
returns float32, which is exact for integers of at most 24 bits; the export
refuses formats wider than that.  Each Quant output is cast back to DOUBLE.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .._errors import FlowError
from .._fixed import bits_for_magnitude
from ._export import to_ir
from ._hadamard import block_hadamard
from ._module import HadamRNN

QONNX_DOMAIN = "qonnx.custom_op.general"
FLOAT32_EXACT_BITS = 24


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.infos: list[onnx.ValueInfoProto] = []
        self.count = 0

    def const(self, name: str, value: Any, dtype: Any) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], out: str, shape: list[int], elem: int,
             domain: str = "", **attrs: Any) -> str:
        self.count += 1
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{op}_{self.count}",
                                           domain=domain, **attrs))
        self.infos.append(helper.make_tensor_value_info(out, elem, shape))
        return out

    def quant(self, x: str, out: str, shape: list[int], *, frac: int, bits: int,
              signed: bool, narrow: bool, rounding: str) -> str:
        """Quant node (float32 out) then a Cast back to DOUBLE."""
        if bits > FLOAT32_EXACT_BITS:
            raise FlowError(f"QONNX export: {out} needs {bits} bits; qonnx's Quant returns "
                            f"float32, exact only up to {FLOAT32_EXACT_BITS} bits")
        s = self.const(f"{out}_scale", 2.0**-frac, np.float32)
        z = self.const(f"{out}_zeropt", 0.0, np.float32)
        b = self.const(f"{out}_bitwidth", float(bits), np.float32)
        q = self.node("Quant", [x, s, z, b], f"{out}_q", shape, TensorProto.FLOAT,
                      domain=QONNX_DOMAIN, signed=int(signed), narrow=int(narrow),
                      rounding_mode=rounding)
        return self.node("Cast", [q], out, shape, TensorProto.DOUBLE, to=TensorProto.DOUBLE)


def _bits_for(values: np.ndarray) -> int:
    m = int(np.abs(values).max()) if values.size else 0
    return max(2, bits_for_magnitude(m))


@torch.no_grad()
def build_qonnx(net: HadamRNN, *, batch: int = 1) -> onnx.ModelProto:
    """The step graph of a hardware-exact module (the IR's arithmetic)."""
    from qonnx.util.basic import qonnx_make_model

    if not net.hardware_exact:
        raise FlowError("QONNX export needs the hardware-exact model")
    cfg = net.config
    ir = to_ir(net)
    n, d, o = cfg.hidden, cfg.input_dim, cfg.outputs
    fx, st = cfg.input_format, cfg.state_format
    g = _Graph()
    dbl = TensorProto.DOUBLE
    inputs = [helper.make_tensor_value_info("x_t", dbl, [batch, d]),
              helper.make_tensor_value_info("h_prev", dbl, [batch, n])]
    outputs = [helper.make_tensor_value_info("h_t", dbl, [batch, n]),
               helper.make_tensor_value_info("y_t", dbl, [batch, o])]

    # input: round half up onto the input grid, saturate
    xh = g.node("Add", ["x_t", g.const("x_half", 2.0 ** (-fx.frac - 1), np.float64)],
                "x_plus_half", [batch, d], dbl)
    xq = g.quant(xh, "x_quant", [batch, d], frac=fx.frac, bits=fx.width, signed=fx.signed,
                 narrow=False, rounding="FLOOR")
    # U x
    uw = g.const("U_T", (ir.input_weight * 2.0**-ir.input_weight_frac).T, np.float32)
    uq = g.quant(uw, "U_quant", [d, n], frac=ir.input_weight_frac, bits=cfg.weight_bits,
                 signed=True, narrow=True, rounding="ROUND")
    a = g.node("MatMul", [xq, uq], "input_term", [batch, n], dbl)
    # diag(sign(u)) (I (x) S_m) h / sqrt(m): FWHT as a +-1 matrix, then sign and scale
    f = g.node("MatMul", ["h_prev", g.const("hadamard", block_hadamard(n, cfg.block_size)
                                            .numpy(), np.float64)],
               "hadamard_term", [batch, n], dbl)
    sq = g.node("BipolarQuant", [g.const("u", net.u.reshape(-1).numpy(), np.float32),
                                 g.const("u_scale", 1.0, np.float32)],
                "sign_q", [n], TensorProto.FLOAT, domain=QONNX_DOMAIN)
    sg = g.node("Cast", [sq], "sign", [n], dbl, to=dbl)
    r = g.node("Mul", [f, sg], "signed_term", [batch, n], dbl)
    r = g.node("Mul", [r, g.const("inv_sqrt_m", net.recurrent_scale(), np.float64)],
               "recurrent_term", [batch, n], dbl)
    # bias on the state grid
    bq = g.quant(g.const("state_bias", ir.state_bias * 2.0**-st.frac, np.float32),
                 "state_bias_quant", [n], frac=st.frac, bits=st.width, signed=True,
                 narrow=True, rounding="ROUND")
    acc = g.node("Add", [r, a], "acc_partial", [batch, n], dbl)
    acc = g.node("Add", [acc, bq], "acc", [batch, n], dbl)
    if cfg.state_rounding == "half_up":
        acc = g.node("Add", [acc, g.const("h_half", 2.0 ** (-st.frac - 1), np.float64)],
                     "acc_plus_half", [batch, n], dbl)
    g.quant(acc, "h_t", [batch, n], frac=st.frac, bits=st.width, signed=True, narrow=True,
            rounding="FLOOR")
    # y = V relu(h) + c
    rl = g.node("Relu", ["h_t"], "relu_h", [batch, n], dbl)
    vw = g.const("V_T", (ir.output_weight * 2.0**-ir.output_weight_frac).T, np.float32)
    vq = g.quant(vw, "V_quant", [n, o], frac=ir.output_weight_frac, bits=cfg.weight_bits,
                 signed=True, narrow=True, rounding="ROUND")
    yv = g.node("MatMul", [rl, vq], "output_term", [batch, o], dbl)
    cq = g.quant(g.const("output_bias", ir.output_bias * 2.0**-ir.output_frac, np.float64),
                 "output_bias_quant", [o], frac=ir.output_frac,
                 bits=_bits_for(ir.output_bias), signed=True, narrow=True, rounding="ROUND")
    g.node("Add", [yv, cq], "y_t", [batch, o], dbl)

    infos = [i for i in g.infos if i.name not in ("h_t", "y_t")]
    graph = helper.make_graph(g.nodes, "hadamrnn_step", inputs, outputs, g.inits,
                              value_info=infos)
    model = qonnx_make_model(graph, producer_name="hadamrnn-flow")
    model.opset_import.append(helper.make_opsetid(QONNX_DOMAIN, 1))
    return model


def save_qonnx(net: HadamRNN, path: str | os.PathLike[str]) -> Path:
    """Write the step graph to ``path`` atomically."""
    from .._files import atomic_write

    model = build_qonnx(net)
    out = Path(path)
    atomic_write(out, model.SerializeToString())
    return out


def run_qonnx(model: onnx.ModelProto | str | os.PathLike[str], x_t: np.ndarray,
              h_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Execute the step with qonnx's ``execute_onnx``; real values in, (h_t, y_t) out."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    wrapper = ModelWrapper(model if isinstance(model, onnx.ModelProto) else str(model))
    out = execute_onnx(wrapper, {"x_t": np.asarray(x_t, dtype=np.float64),
                                 "h_prev": np.asarray(h_prev, dtype=np.float64)})
    return out["h_t"], out["y_t"]
