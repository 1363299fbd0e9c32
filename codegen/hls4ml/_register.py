"""Registration with hls4ml's extension API: layer class, PyTorch handler,
templates and the static header, per backend.  Idempotent."""

from __future__ import annotations

from collections.abc import Iterable

import hls4ml
from hls4ml.converters import get_supported_pytorch_layers, register_pytorch_layer_handler
from hls4ml.model.layers import layer_map, register_layer

from model import FlowError

from ._layer import (
    LAYER_CLASS,
    HadamRNNConfigTemplate,
    HadamRNNFunctionTemplate,
    HadamRNNLayer,
    parse_hadamrnn,
)
from ._render import header_path

#: The hls4ml release this extension is tested against (pinned in pyproject.toml).
HLS4ML_VERSION = "1.3.0"
#: Backends whose C++ (Vivado ap_types, HLS pragmas) the layer is written for.
BACKENDS: tuple[str, ...] = ("Vivado", "Vitis")
#: The PyTorch class name hls4ml's parser dispatches on.
TORCH_CLASS = "HadamRNN"

_registered: set[str] = set()


def registered_backends() -> tuple[str, ...]:
    return tuple(sorted(_registered))


def register(backends: Iterable[str] = BACKENDS) -> None:
    """Make the HadamRNN layer known to hls4ml for ``backends``."""
    if hls4ml.__version__ != HLS4ML_VERSION:
        raise FlowError(f"codegen.hls4ml is tested against hls4ml {HLS4ML_VERSION}; "
                        f"found {hls4ml.__version__} (pip install hls4ml=={HLS4ML_VERSION})")
    names = list(backends)
    for name in names:
        if name not in BACKENDS:
            raise FlowError(f"hls4ml backend {name!r} is not supported by the HadamRNN layer; "
                            f"supported: {', '.join(BACKENDS)}")
    if layer_map.get(LAYER_CLASS) is not HadamRNNLayer:
        register_layer(LAYER_CLASS, HadamRNNLayer)
    if TORCH_CLASS not in get_supported_pytorch_layers():
        register_pytorch_layer_handler(TORCH_CLASS, parse_hadamrnn)
    for name in names:
        if name in _registered:
            continue
        backend = hls4ml.backends.get_backend(name)
        backend.register_template(HadamRNNConfigTemplate)
        backend.register_template(HadamRNNFunctionTemplate)
        backend.register_source(header_path())
        _registered.add(name)
