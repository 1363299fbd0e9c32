"""Resource, clock-independent latency and fit estimates: an analysis over the
hardware description (``structure``), costed with coefficients fitted to Yosys,
the board database, reports, and the ``estimate`` subcommand."""

from ._boards import Board, board, boards, check_part, parts
from ._cli import add_parser as add_estimate_parser
from ._estimate import (
    COEFFICIENTS,
    FEATURES,
    RESOURCES,
    ComponentCost,
    Estimate,
    Timing,
    arch_points,
    cost,
    estimate,
    estimate_design,
    features,
    memory_blocks,
    pareto,
    sweep,
)
from ._structure import Part, structure
from ._timing import DELAY_MODELS, DelayModel, Path, critical_path, paths

__all__ = [
    "COEFFICIENTS", "DELAY_MODELS", "FEATURES", "RESOURCES", "Board", "ComponentCost",
    "DelayModel", "Estimate", "Part", "Path", "critical_path", "paths",
    "Timing", "add_estimate_parser", "arch_points", "board", "boards", "check_part", "cost",
    "estimate",
    "estimate_design",
    "features", "memory_blocks", "pareto", "parts", "structure", "sweep",
]
