"""The hardware description: one :class:`Design` per (IR, options), computed once.

``describe(ir, options)`` checks the options and returns every hardware fact of
the design as structured records (geometry and widths, the butterfly network or
its folded form, CSD shift-add terms, the update and readout rows, the
schedule).  The Vitis and Verilog renderers print these records and the
estimator analyses them; none of them recomputes one.
"""

from ._cmvm import AdderGraph, Staged, stage_graph
from ._counts import adder_counts, network_adders, sum_adders
from ._csd import Term, constant_terms, csd, csd_adders, row_terms
from ._design import (
    TOP,
    Design,
    Geometry,
    Memory,
    Multiplier,
    ReadoutRow,
    UpdateRow,
    booth_correction,
    booth_digit_bits,
    booth_digits,
    delay_words,
    describe,
    stream_bits,
)
from ._identifiers import sanitize_identifier
from ._network import (
    Butterfly,
    DenseRow,
    FoldedUnit,
    FoldWrite,
    Stage,
    butterfly_stages,
    folded_network,
    hadamard_entry,
)
from ._options import (
    ARITHS,
    DATAPATHS,
    DEFAULT_STEPS,
    MAX_INTERLEAVE,
    Datapath,
    EmitOptions,
    check_options,
    sequence_steps,
    valid_folds,
)
from ._pipeline import Pipeline, max_depth, place_cuts
from ._schedule import CALL_OVERHEAD, Schedule, schedule
from ._stream import (
    LaneTree,
    Registers,
    SharedTransform,
    Stream,
    lane_tree,
    shares_transform,
    stream_plan,
)

__all__ = [
    "CALL_OVERHEAD", "DATAPATHS", "DEFAULT_STEPS", "MAX_INTERLEAVE", "ARITHS", "TOP",
    "AdderGraph", "Butterfly", "Staged", "stage_graph",
    "Datapath", "DenseRow", "Design", "EmitOptions", "FoldWrite", "FoldedUnit", "Geometry",
    "Memory", "Multiplier", "Pipeline", "ReadoutRow", "Schedule", "Stage", "Stream", "Term",
    "UpdateRow", "delay_words", "LaneTree", "Registers", "SharedTransform", "lane_tree",
    "shares_transform",
    "booth_correction", "booth_digit_bits", "booth_digits",
    "adder_counts", "butterfly_stages", "check_options", "constant_terms", "csd", "csd_adders",
    "describe", "folded_network", "hadamard_entry", "max_depth", "network_adders", "place_cuts",
    "row_terms", "sanitize_identifier",
    "schedule", "sequence_steps", "stream_bits", "stream_plan", "sum_adders", "valid_folds",
]
