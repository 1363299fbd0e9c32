"""The Verilog target: synthesizable Verilog-2005 of the streaming HadamRNN cell,
printed from the hardware description (docs/schedule.md)."""

from ._render import MODULES, SOURCES, TARGET, render

__all__ = ["MODULES", "SOURCES", "TARGET", "render"]
