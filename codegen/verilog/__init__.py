"""The Verilog target: synthesizable Verilog-2005 of the streaming HadamRNN cell,
printed from the hardware description (docs/schedule.md)."""

from ._render import ARCH_MODULES, MODULES, SOURCES, TARGET, render, sources

__all__ = ["ARCH_MODULES", "MODULES", "SOURCES", "TARGET", "render", "sources"]
