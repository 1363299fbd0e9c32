"""``render(design) -> {relative path: text}``: one template per module, each
formatting the :class:`codegen.hw.Design` records."""

from __future__ import annotations

from .._templates import render_template
from ..hw import Design
from ..project import Content, project_files

TARGET = "verilog"
#: role -> module name.
MODULES: dict[str, str] = {
    "recur": "hadamrnn_recur",
    "update": "hadamrnn_update",
    "readout": "hadamrnn_readout",
    "top": "hadamrnn_top",
    "delay": "hadamrnn_delay",
    "input": "hadamrnn_input",
}
#: Modules of each architecture, in source order: (role, template).
ARCH_MODULES: dict[str, tuple[tuple[str, str], ...]] = {
    "parallel": (("recur", "recur.v.j2"), ("update", "update.v.j2"),
                 ("readout", "readout.v.j2"), ("top", "top.v.j2")),
    "stream": (("delay", "delay.v.j2"), ("top", "stream_top.v.j2")),
}
SOURCES: tuple[str, ...] = tuple(f"rtl/{MODULES[role]}.v" for role, _ in ARCH_MODULES["parallel"])


def modules_of(design: Design) -> tuple[tuple[str, str], ...]:
    """(role, template) of every module the design needs, in source order."""
    mods = ARCH_MODULES[design.options.arch]
    if design.stall is not None:      # pipelined: registered enables, output FIFO
        mods = (*mods[:-1], ("top", "pipe_top.v.j2"))
    if design.pipeline.input_ahead:   # U x computed ahead of the pipelined loop
        mods = (("input", "input.v.j2"), *mods)
    return mods


def sources(design: Design) -> list[str]:
    return [f"rtl/{MODULES[role]}.v" for role, _ in modules_of(design)]


def render(design: Design) -> dict[str, Content]:
    """The RTL project of ``design``.  Pure and deterministic."""
    files = {
        f"rtl/{MODULES[role]}.v": render_template(
            TARGET, template, c=design, module=MODULES[role], modules=MODULES)
        for role, template in modules_of(design)
    }
    return project_files(design, files, target=TARGET, top_sources=sources(design))
