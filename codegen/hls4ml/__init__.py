"""HadamRNN as an hls4ml extension layer (hls4ml's Extension API, PyTorch frontend).

``register()`` makes hls4ml know the layer; :class:`HadamRNN` is the PyTorch module to
put in a model (a deployment IR, forward = ``model.run``).  ``convert_from_pytorch_model``
then turns it into an ``HadamRNNLayer`` whose C++ is printed from the same hardware
description (``codegen.hw.describe``) and templates as the Vitis target.  This package
imports torch and hls4ml; the rest of ``codegen`` does not.  See docs/hls4ml.md.
"""

from ._check import Fixed, dense_reference, to_grid
from ._layer import (
    LAYER_CLASS,
    HadamRNNConfigTemplate,
    HadamRNNFunctionTemplate,
    HadamRNNLayer,
    input_precision,
    output_precision,
    parse_hadamrnn,
)
from ._module import HadamRNN
from ._register import BACKENDS, HLS4ML_VERSION, TORCH_CLASS, register, registered_backends
from ._render import HEADER, cell_context, header_path, render_cell

__all__ = [
    "BACKENDS",
    "Fixed",
    "HEADER",
    "HLS4ML_VERSION",
    "LAYER_CLASS",
    "TORCH_CLASS",
    "HadamRNN",
    "HadamRNNConfigTemplate",
    "HadamRNNFunctionTemplate",
    "HadamRNNLayer",
    "cell_context",
    "dense_reference",
    "header_path",
    "input_precision",
    "output_precision",
    "parse_hadamrnn",
    "register",
    "registered_backends",
    "render_cell",
    "to_grid",
]
