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
}
#: Modules of each architecture, in source order: (role, template).
ARCH_MODULES: dict[str, tuple[tuple[str, str], ...]] = {
    "parallel": (("recur", "recur.v.j2"), ("update", "update.v.j2"),
                 ("readout", "readout.v.j2"), ("top", "top.v.j2")),
    "stream": (("delay", "delay.v.j2"), ("top", "stream_top.v.j2")),
}
SOURCES: tuple[str, ...] = tuple(f"rtl/{MODULES[role]}.v" for role, _ in ARCH_MODULES["parallel"])


def sources(arch: str) -> list[str]:
    return [f"rtl/{MODULES[role]}.v" for role, _ in ARCH_MODULES[arch]]


def render(design: Design) -> dict[str, Content]:
    """The RTL project of ``design``.  Pure and deterministic."""
    arch = design.options.arch
    files = {
        f"rtl/{MODULES[role]}.v": render_template(
            TARGET, template, c=design, module=MODULES[role], modules=MODULES)
        for role, template in ARCH_MODULES[arch]
    }
    return project_files(design, files, target=TARGET, top_sources=sources(arch))
