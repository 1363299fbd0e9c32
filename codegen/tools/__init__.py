"""External tools: Yosys synthesis (cell counts by device family) and nextpnr
place and route, each run in its own work folder with results cached."""

from ._harness import harness, ports
from ._yosys import (
    PnrResult,
    SynthResult,
    YosysError,
    classify,
    nextpnr_ecp5,
    nextpnr_ice40,
    parse_stat_json,
    parse_stat_modules,
    parse_stat_text,
    place_route,
    place_route_ecp5,
    place_route_ice40,
    require_yosys,
    synthesize,
    yosys_command,
)

__all__ = [
    "PnrResult", "SynthResult", "YosysError", "classify", "harness", "nextpnr_ecp5",
    "nextpnr_ice40", "parse_stat_json",
    "parse_stat_modules", "parse_stat_text", "place_route", "place_route_ecp5",
    "place_route_ice40", "ports",
    "require_yosys",
    "synthesize", "yosys_command",
]
