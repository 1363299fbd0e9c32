"""Code generation from the deployment IR: Vitis HLS C++, Verilog, estimates.

Reads the IR only (never torch).  ``render`` is a pure function
``(IR, EmitOptions) -> {relative path: text}``; ``write_project`` writes it.
"""

from ._boards import Board, board, boards, check_part
from ._passes import EmitOptions, check_schedule, csd, csd_adders, sanitize_identifier
from ._targets import TARGETS, render
from ._writer import write_project

__all__ = [
    "TARGETS",
    "Board",
    "EmitOptions",
    "board",
    "boards",
    "check_part",
    "check_schedule",
    "csd",
    "csd_adders",
    "render",
    "sanitize_identifier",
    "write_project",
]
