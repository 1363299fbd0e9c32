"""HadamRNN model side: the deployment IR and its bit-exact integer reference.

This package imports without torch.  The trainable Brevitas model, the tasks,
training and export live in ``model.net`` (imported on demand).
"""

from ._cli_common import OneLineParser, int_at_least, nonnegative_int, positive_int, run_cli
from ._errors import FlowError
from ._files import atomic_write, atomic_write_many, replacing
from ._fixed import FixedFormat, quantize, shift_round, signed_bits
from ._ir import (
    FORMAT_VERSION,
    MAX_DATAPATH_BITS,
    MAX_OUTPUT_BIAS,
    DeploymentIR,
    IRError,
    ir_files,
    ir_from_parts,
    ir_to_json,
    load_ir,
    save_ir,
    validate,
)
from ._qonnx import ir_to_qonnx, load_qonnx_ir, qonnx_to_ir, read_ir
from ._random import EXTREME_EVERY, random_inputs, random_ir, tb_inputs
from ._reference import fwht_int, readout, rounded, run, step
from ._widths import DatapathWidths, datapath_widths

__all__ = [
    "atomic_write",
    "atomic_write_many",
    "replacing",
    "EXTREME_EVERY",
    "FORMAT_VERSION",
    "MAX_DATAPATH_BITS",
    "MAX_OUTPUT_BIAS",
    "DatapathWidths",
    "DeploymentIR",
    "FixedFormat",
    "FlowError",
    "IRError",
    "OneLineParser",
    "datapath_widths",
    "fwht_int",
    "int_at_least",
    "ir_files",
    "ir_to_qonnx",
    "ir_from_parts",
    "ir_to_json",
    "load_ir",
    "load_qonnx_ir",
    "nonnegative_int",
    "positive_int",
    "quantize",
    "qonnx_to_ir",
    "random_inputs",
    "random_ir",
    "read_ir",
    "readout",
    "rounded",
    "run_cli",
    "run",
    "save_ir",
    "shift_round",
    "signed_bits",
    "step",
    "tb_inputs",
    "validate",
]
