"""The hls4ml side of the HadamRNN layer: the layer class, the PyTorch parser and
the config / function-call templates.  The C++ comes from ``_render``."""

from __future__ import annotations

from math import prod
from typing import Any

from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
from hls4ml.model.attributes import Attribute, ChoiceAttribute
from hls4ml.model.layers import Layer
from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType, Source

from model import DeploymentIR, FlowError

from ..hw import DATAPATHS
from ._render import HEADER, cell_context, render_call, render_cell, render_config

#: Name of the layer class in hls4ml's layer map (and of the node's class_name).
LAYER_CLASS = "HadamRNNLayer"


def input_precision(ir: DeploymentIR) -> str:
    """The hls4ml precision of the integer inputs ``x_t``, exactly the IR's format."""
    fmt = ir.input_format
    return f"ap_{'int' if fmt.signed else 'uint'}<{fmt.width}>"


def output_precision(ir: DeploymentIR, *, datapath: str = "hadamard") -> str:
    """The precision the layer gives its output: the readout ``y`` as an integer
    (units ``2^-output_frac``), as wide as the hardware description's output."""
    return f"ap_int<{cell_context(ir, datapath=datapath).output_width}>"


def _integer_range(precision: Any) -> tuple[int, int] | None:
    """The integers a precision holds exactly, or None when it does not hold a
    contiguous range of them (not a fixed-point type, or coarser than 1)."""
    if not isinstance(precision, (IntegerPrecisionType, FixedPrecisionType)):
        return None
    if precision.fractional < 0:
        return None
    i = precision.integer
    if precision.signed:
        return (-(1 << (i - 1)), (1 << (i - 1)) - 1) if i >= 1 else None
    return (0, (1 << i) - 1) if i >= 0 else None


class HadamRNNLayer(Layer):
    """A whole HadamRNN (deployment IR) over a sequence: ``n_steps`` x ``n_in``
    integer inputs in, the readout ``y`` out (``n_steps`` x ``n_out`` step-major
    for readout 'every', ``n_out`` after the last step for 'last')."""

    _expected_attributes = [
        Attribute("n_steps"),
        Attribute("n_in"),
        Attribute("n_out"),
        Attribute("ir", value_type=DeploymentIR),
        ChoiceAttribute("readout", ["every", "last"], configurable=False),
        ChoiceAttribute("datapath", list(DATAPATHS), default="hadamard"),
    ]

    def initialize(self) -> None:
        ir: DeploymentIR = self.get_attr("ir")
        ctx = cell_context(ir, datapath=self.get_attr("datapath", "hadamard"))
        fmt = ir.input_format
        given = self.get_input_variable().type.precision
        held = _integer_range(given)
        if held is None or held[0] > fmt.min_int or held[1] < fmt.max_int:
            raise FlowError(
                f"hadamrnn layer {self.name}: its input precision {given} does not hold the "
                f"IR's integer inputs [{fmt.min_int}, {fmt.max_int}]; set the input layer's "
                f"precision to {input_precision(ir)}")
        size = self.get_attr("n_out") * (self.get_attr("n_steps") if ir.readout == "every" else 1)
        self.add_output_variable(
            [size], precision=IntegerPrecisionType(width=ctx.output_width, signed=True))
        self.set_attr("result_t", self.get_output_variable().type)


def parse_hadamrnn(operation: str, layer_name: str, input_names: list[str],
                   input_shapes: list[list[int | None]], node: Any, class_object: Any,
                   data_reader: Any, config: dict[str, Any]) -> tuple[dict[str, Any], list]:
    """hls4ml PyTorch handler of :class:`codegen.hls4ml.HadamRNN`."""
    ir: DeploymentIR = class_object.ir
    d = ir.input_dim
    shape = [int(s) for s in input_shapes[0][1:]]   # without the batch dimension
    where = f"hadamrnn layer {layer_name}"
    if len(shape) == 2:
        if shape[1] != d:
            raise FlowError(f"{where}: input shape {tuple(shape)} must be (T, {d}) "
                            f"(input_dim {d})")
        conversion = config.get("HLSConfig", {}).get("Model", {}).get("ChannelsLastConversion")
        if conversion == "full":
            raise FlowError(
                f"{where}: with channels_last_conversion='full' hls4ml transposes a (T, {d}) "
                f"input; give the input shape flat, ({shape[0] * d},), or use "
                "channels_last_conversion='internal'")
    elif len(shape) != 1:
        raise FlowError(f"{where}: input shape {tuple(shape)} must be (T, {d}) or (T*{d},)")
    size = prod(shape)
    if size == 0 or size % d:
        raise FlowError(f"{where}: input size {size} is not a positive multiple of "
                        f"input_dim {d}")
    steps = size // d
    io_type = config.get("IOType", "io_parallel")
    if io_type != "io_parallel":
        raise FlowError(f"{where}: io_type {io_type} is not supported; use io_parallel")
    backend = str(config.get("Backend", ""))
    from ._register import registered_backends

    if backend and backend.lower() not in {b.lower() for b in registered_backends()}:
        raise FlowError(f"{where}: backend {backend} has no HadamRNN templates; call "
                        "codegen.hls4ml.register() (backends: Vivado, Vitis)")
    layer = {
        "class_name": LAYER_CLASS, "name": layer_name, "inputs": input_names,
        "ir": ir, "n_steps": steps, "n_in": d, "n_out": ir.outputs, "readout": ir.readout,
    }
    out = ir.outputs * (steps if ir.readout == "every" else 1)
    return layer, [input_shapes[0][0], out]


class HadamRNNConfigTemplate(LayerConfigTemplate):
    """The layer's config struct; also attaches the generated cell to the node
    (``nnet_code_gen.h`` collects every node's generated code)."""

    def __init__(self) -> None:
        super().__init__(HadamRNNLayer)

    def transform(self, model: Any, node: Any) -> bool:
        node.set_attr("hadamrnn_cell", Source(render_cell(
            node.get_attr("ir"), layer=node.name, index=node.index,
            datapath=node.get_attr("datapath"))))
        return bool(super().transform(model, node))

    def format(self, node: Any) -> str:
        params = self._default_config_params(node)
        return render_config(index=node.index, steps=node.get_attr("n_steps"),
                             n_in=node.get_attr("n_in"), n_out=node.get_attr("n_out"),
                             every=node.get_attr("readout") == "every",
                             namespace=params["namespace"])


class HadamRNNFunctionTemplate(FunctionCallTemplate):
    def __init__(self) -> None:
        super().__init__(HadamRNNLayer, include_header=[f"nnet_utils/{HEADER}"])

    def format(self, node: Any) -> str:
        p = self._default_function_params(node)
        return render_call(input_t=p["input_t"], output_t=p["output_t"], config=p["config"],
                           input=p["input"], output=p["output"])
