"""The Vitis HLS target: a C++ project printed from the hardware description."""

from ._context import MAX_STREAM_BITS, VitisContext, build_context
from ._render import TARGET, TB_INPUT, TB_OUTPUT, render, tb_vectors

__all__ = ["MAX_STREAM_BITS", "TARGET", "TB_INPUT", "TB_OUTPUT", "VitisContext",
           "build_context", "render", "tb_vectors"]
