"""The trainable HadamRNN in PyTorch + Brevitas (the only part of the flow that
imports torch): Hadamard transforms, the module with hardware-exact quantization
in the loop, IR export/import, training and the QONNX cell export."""

from ._export import EMBEDDING_NPZ, embedding_table, from_ir, save_embedding, to_ir
from ._hadamard import block_hadamard, fwht, fwht_dense, sylvester
from ._module import HadamRNN, NetConfig

HadamRNN.from_ir = staticmethod(from_ir)  # type: ignore[attr-defined]
HadamRNN.to_ir = to_ir  # type: ignore[attr-defined]

__all__ = [
    "EMBEDDING_NPZ",
    "HadamRNN",
    "NetConfig",
    "block_hadamard",
    "embedding_table",
    "from_ir",
    "fwht",
    "fwht_dense",
    "save_embedding",
    "sylvester",
    "to_ir",
]
