"""HadamRNN model side: the deployment IR and its bit-exact integer reference.

This package imports without torch.  The trainable Brevitas model, the tasks,
training and export live in ``model.net`` (imported on demand).
"""

from ._errors import FlowError
from ._fixed import FixedFormat, quantize, shift_round, signed_bits
from ._ir import (
    FORMAT_VERSION,
    MAX_DATAPATH_BITS,
    DeploymentIR,
    IRError,
    ir_from_parts,
    ir_to_json,
    load_ir,
    save_ir,
    validate,
)
from ._random import random_inputs, random_ir
from ._reference import fwht_int, readout, run, step
from ._widths import DatapathWidths, datapath_widths

__all__ = [
    "FORMAT_VERSION",
    "MAX_DATAPATH_BITS",
    "DatapathWidths",
    "DeploymentIR",
    "FixedFormat",
    "FlowError",
    "IRError",
    "datapath_widths",
    "fwht_int",
    "ir_from_parts",
    "ir_to_json",
    "load_ir",
    "quantize",
    "random_inputs",
    "random_ir",
    "readout",
    "run",
    "save_ir",
    "shift_round",
    "signed_bits",
    "step",
    "validate",
]
