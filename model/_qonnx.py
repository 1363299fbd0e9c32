"""The HadamRNN step as a QONNX graph, and back: IR -> QONNX -> IR, exactly.

One recurrent step (inputs ``x_t``, ``h_prev``; outputs ``h_t``, ``y_t``) built
with ``onnx.helper`` from QONNX ``Quant`` / ``BipolarQuant`` nodes, in DOUBLE so
the accumulator is exact (docs/ir.md, "QONNX cell").  qonnx's ``HALF_UP`` rounds
half away from zero, so the hardware's half-up is ``Add(half an lsb)`` then a
``FLOOR`` Quant.  Quant returns float32, exact up to 24 bits; wider formats are
refused.  ``qonnx_to_ir`` reads such a graph (ours, or one anybody builds the
same way) back into the deployment IR and names the first thing that does not
match.  Needs onnx (and qonnx to execute), never torch.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import FlowError
from ._fixed import FixedFormat, bits_for_magnitude, inv_sqrt2_constant
from ._ir import DeploymentIR, IRError
from ._reference import fwht_int

QONNX_DOMAIN = "qonnx.custom_op.general"
FLOAT32_EXACT_BITS = 24
CELL_FORMAT = "hadamrnn-qonnx-cell"
#: metadata_props keys of the graph (what the step's arithmetic does not show)
META_KEYS = ("format", "name", "readout", "inv_sqrt2_frac", "meta")


def block_hadamard(n: int, m: int) -> np.ndarray:
    """``I_{n/m} (x) S_m`` as a dense float64 matrix: the reference transform
    applied to the identity (the matrix is symmetric)."""
    return fwht_int(np.eye(n, dtype=np.int64), m).astype(np.float64)


def recurrent_scale(ir: DeploymentIR) -> float:
    """The real factor standing for 1/sqrt(m) in the hardware."""
    k = ir.log2_block
    scale = 2.0 ** -(k // 2)
    if k % 2:
        scale *= inv_sqrt2_constant(ir.inv_sqrt2_frac) * 2.0 ** -ir.inv_sqrt2_frac
    return scale


class _Graph:
    def __init__(self) -> None:
        from onnx import TensorProto

        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.infos: list[Any] = []
        self.count = 0
        self.dbl = TensorProto.DOUBLE
        self.flt = TensorProto.FLOAT

    def const(self, name: str, value: Any, dtype: Any) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], out: str, shape: list[int], elem: int,
             domain: str = "", **attrs: Any) -> str:
        from onnx import helper

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
        q = self.node("Quant", [x, s, z, b], f"{out}_q", shape, self.flt,
                      domain=QONNX_DOMAIN, signed=int(signed), narrow=int(narrow),
                      rounding_mode=rounding)
        return self.node("Cast", [q], out, shape, self.dbl, to=self.dbl)


def _bits_for(values: np.ndarray) -> int:
    m = int(np.abs(values).max()) if values.size else 0
    return max(2, bits_for_magnitude(m))


def ir_to_qonnx(ir: DeploymentIR, *, batch: int = 1) -> Any:
    """The step graph of ``ir`` (an ``onnx.ModelProto``)."""
    from onnx import helper
    from qonnx.util.basic import qonnx_make_model

    n, d, o = ir.hidden, ir.input_dim, ir.outputs
    fx, st = ir.input_format, ir.state_format
    g = _Graph()
    dbl = g.dbl
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
    uq = g.quant(uw, "U_quant", [d, n], frac=ir.input_weight_frac, bits=ir.input_weight_bits,
                 signed=True, narrow=True, rounding="ROUND")
    a = g.node("MatMul", [xq, uq], "input_term", [batch, n], dbl)
    # diag(sign) (I (x) S_m) h / sqrt(m): the transform as a +-1 matrix, then sign and scale
    f = g.node("MatMul", ["h_prev", g.const("hadamard", block_hadamard(n, ir.block_size),
                                            np.float64)],
               "hadamard_term", [batch, n], dbl)
    sq = g.node("BipolarQuant", [g.const("u", np.asarray(ir.sign, dtype=np.float32),
                                         np.float32),
                                 g.const("u_scale", 1.0, np.float32)],
                "sign_q", [n], g.flt, domain=QONNX_DOMAIN)
    sg = g.node("Cast", [sq], "sign", [n], dbl, to=dbl)
    r = g.node("Mul", [f, sg], "signed_term", [batch, n], dbl)
    r = g.node("Mul", [r, g.const("inv_sqrt_m", recurrent_scale(ir), np.float64)],
               "recurrent_term", [batch, n], dbl)
    # bias on the state grid
    bq = g.quant(g.const("state_bias", ir.state_bias * 2.0**-st.frac, np.float32),
                 "state_bias_quant", [n], frac=st.frac, bits=st.width, signed=True,
                 narrow=True, rounding="ROUND")
    acc = g.node("Add", [r, a], "acc_partial", [batch, n], dbl)
    acc = g.node("Add", [acc, bq], "acc", [batch, n], dbl)
    if ir.state_rounding == "half_up":
        acc = g.node("Add", [acc, g.const("h_half", 2.0 ** (-st.frac - 1), np.float64)],
                     "acc_plus_half", [batch, n], dbl)
    g.quant(acc, "h_t", [batch, n], frac=st.frac, bits=st.width, signed=True, narrow=True,
            rounding="FLOOR")
    # y = V relu(h) + c
    rl = g.node("Relu", ["h_t"], "relu_h", [batch, n], dbl)
    vw = g.const("V_T", (ir.output_weight * 2.0**-ir.output_weight_frac).T, np.float32)
    vq = g.quant(vw, "V_quant", [n, o], frac=ir.output_weight_frac,
                 bits=ir.output_weight_bits, signed=True, narrow=True, rounding="ROUND")
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
    helper.set_model_props(model, {
        "hadamrnn.format": CELL_FORMAT, "hadamrnn.name": ir.name,
        "hadamrnn.readout": ir.readout, "hadamrnn.inv_sqrt2_frac": str(ir.inv_sqrt2_frac),
        "hadamrnn.meta": json.dumps(ir.meta, sort_keys=True)})
    return model


# ------------------------------------------------------------------ reading back


class _Reader:
    def __init__(self, model: Any, where: str) -> None:
        from onnx import numpy_helper

        self.where = where
        graph = model.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.producer = {out: node for node in graph.node for out in node.output}
        self.props = {p.key: p.value for p in model.metadata_props}
        names_in = [i.name for i in graph.input if i.name not in self.inits]
        names_out = [o.name for o in graph.output]
        if sorted(names_in) != ["h_prev", "x_t"] or sorted(names_out) != ["h_t", "y_t"]:
            self.fail(f"inputs {names_in} and outputs {names_out}; a HadamRNN cell has "
                      "inputs x_t, h_prev and outputs h_t, y_t")

    def fail(self, what: str) -> None:
        raise IRError(f"{self.where}: not a HadamRNN QONNX cell: {what}")

    def init(self, name: str) -> np.ndarray:
        if name not in self.inits:
            self.fail(f"no initializer {name!r}")
        return np.asarray(self.inits[name], dtype=np.float64)

    def node(self, out: str, op: str) -> Any:
        node = self.producer.get(out)
        if node is None or node.op_type != op:
            found = "nothing" if node is None else f"a {node.op_type} node"
            self.fail(f"{out!r} is produced by {found}, expected {op}")
        return node

    def quant(self, name: str) -> tuple[int, int, bool, bool, str]:
        """(frac, bits, signed, narrow, rounding) of the Quant behind ``name``."""
        q = self.node(f"{name}_q", "Quant")
        scale = float(self.init(q.input[1]).reshape(-1)[0])
        zero = float(self.init(q.input[2]).reshape(-1)[0])
        bits = float(self.init(q.input[3]).reshape(-1)[0])
        frac = -math.log2(scale) if scale > 0 else math.nan
        if zero != 0 or not frac.is_integer() or not bits.is_integer():
            self.fail(f"Quant {name!r} has scale {scale}, zero point {zero}, bit width "
                      f"{bits}; a cell quantizes on power-of-two grids with zero point 0")
        attrs = {a.name: a for a in q.attribute}
        signed = bool(attrs["signed"].i) if "signed" in attrs else True
        narrow = bool(attrs["narrow"].i) if "narrow" in attrs else False
        rounding = attrs["rounding_mode"].s.decode() if "rounding_mode" in attrs else "ROUND"
        return int(frac), int(bits), signed, narrow, rounding

    def integers(self, name: str, frac: int) -> np.ndarray:
        values = self.init(name) * 2.0**frac
        ints = np.rint(values)
        if not np.array_equal(ints, values):
            self.fail(f"{name!r} is not on the 2^-{frac} grid of its Quant")
        return ints.astype(np.int64)


def qonnx_to_ir(model: Any, *, where: str = "QONNX cell") -> DeploymentIR:
    """Read a HadamRNN step graph back into the deployment IR, exactly."""
    r = _Reader(model, where)
    fr = r.props.get("hadamrnn.format", CELL_FORMAT)
    if fr != CELL_FORMAT:
        r.fail(f"metadata format {fr!r}, expected {CELL_FORMAT!r}")
    x_frac, x_bits, x_signed, _, x_round = r.quant("x_quant")
    if x_round != "FLOOR":
        r.fail(f"the input Quant rounds {x_round}; the cell floors after adding half an lsb")
    u_frac, u_bits, _, _, _ = r.quant("U_quant")
    h_frac, h_bits, _, _, _ = r.quant("h_t")
    v_frac, v_bits, _, _, _ = r.quant("V_quant")
    for out, op in (("input_term", "MatMul"), ("hadamard_term", "MatMul"),
                    ("sign_q", "BipolarQuant"), ("signed_term", "Mul"),
                    ("recurrent_term", "Mul"), ("relu_h", "Relu"), ("output_term", "MatMul"),
                    ("y_t", "Add")):
        r.node(out, op)
    u = r.integers("U_T", u_frac).T
    v = r.integers("V_T", v_frac).T
    n, d, o = u.shape[0], u.shape[1], v.shape[0]
    had = r.init("hadamard")
    if had.shape != (n, n):
        r.fail(f"the transform is {had.shape}, expected ({n}, {n}) for {n} states")
    block = next((m for m in (1 << i for i in range(n.bit_length()))
                  if n % m == 0 and np.array_equal(had, block_hadamard(n, m))), None)
    if block is None:
        r.fail("the 'hadamard' matrix is not a block-diagonal Sylvester Hadamard matrix")
    sign = np.where(r.init("u") >= 0, 1, -1).astype(np.int64)
    rounding = "half_up" if "acc_plus_half" in r.producer else "floor"
    k = int(block).bit_length() - 1
    scale = float(r.init("inv_sqrt_m").reshape(-1)[0])
    inv_frac = int(r.props.get("hadamrnn.inv_sqrt2_frac", "16"))
    if k % 2:
        inv_frac = next((f for f in (inv_frac, *range(1, 33))
                         if 2.0 ** -(k // 2) * inv_sqrt2_constant(f) * 2.0**-f == scale), -1)
        if inv_frac < 0:
            r.fail(f"the scale {scale!r} is not 2^-{k // 2} times a CSD 1/sqrt(2) constant")
    elif scale != 2.0 ** -(k // 2):
        r.fail(f"the scale {scale!r} is not 2^-{k // 2} = 1/sqrt({block})")
    state_bias = r.integers("state_bias", h_frac)
    output_bias = r.integers("output_bias", v_frac + h_frac)
    try:
        meta = json.loads(r.props.get("hadamrnn.meta", "{}"))
    except ValueError:
        r.fail("metadata 'hadamrnn.meta' is not JSON")
    return DeploymentIR(
        name=r.props.get("hadamrnn.name", "qonnx_cell"), hidden=int(n), block_size=int(block),
        input_dim=int(d), outputs=int(o), readout=r.props.get("hadamrnn.readout", "every"),
        input_format=FixedFormat(width=x_bits, frac=x_frac, signed=x_signed),
        state_format=FixedFormat(width=h_bits, frac=h_frac, signed=True),
        state_rounding=rounding, input_weight_bits=u_bits, input_weight_frac=u_frac,
        output_weight_bits=v_bits, output_weight_frac=v_frac, inv_sqrt2_frac=inv_frac,
        sign=sign, input_weight=u, state_bias=state_bias, output_weight=v,
        output_bias=output_bias, meta=meta)


def load_qonnx_ir(path: str | os.PathLike[str]) -> DeploymentIR:
    """Read an ``.onnx`` file holding a HadamRNN cell; one-line IRError otherwise."""
    import onnx

    p = Path(path)
    try:
        model = onnx.load(str(p))
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one line
        raise IRError(f"{p}: not a readable ONNX file ({' '.join(str(exc).split())[:120]})"
                      ) from None
    return qonnx_to_ir(model, where=str(p))


def read_ir(path: str | os.PathLike[str]) -> DeploymentIR:
    """An IR folder (``model.json`` + ``weights.npz``) or a QONNX cell (``.onnx``)."""
    from ._ir import load_ir

    p = Path(path)
    if p.suffix == ".onnx" and not p.is_dir():
        if not p.is_file():
            raise IRError(f"{p}: no such QONNX file")
        return load_qonnx_ir(p)
    return load_ir(p)
