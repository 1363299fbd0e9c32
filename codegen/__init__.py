"""Code generation from the deployment IR: Vitis HLS C++, Verilog, estimates.

Reads the IR only (never torch).  One pipeline: IR -> ``hw.describe`` (the
hardware description, computed once) -> a target's ``render`` (pure,
``{relative path: content}``) -> ``project.write_project``.  The estimator
analyses the same description.  Subpackages: ``hw`` (the description),
``vitis`` and ``verilog`` (renderers), ``project`` (the emitted-project format
and writer), ``estimate`` (analysis, boards, reports), ``tools`` (Yosys, nextpnr).
"""

from ._cli import main
from ._targets import TARGETS, render, renderer
from .estimate import Board, Estimate, board, boards, check_part
from .hw import Design, EmitOptions, csd, csd_adders, describe, sanitize_identifier
from .project import write_project

__all__ = [
    "TARGETS",
    "Board",
    "Design",
    "EmitOptions",
    "Estimate",
    "board",
    "boards",
    "check_part",
    "csd",
    "csd_adders",
    "describe",
    "main",
    "render",
    "renderer",
    "sanitize_identifier",
    "write_project",
]
