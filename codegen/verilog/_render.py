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
}
SOURCES: tuple[str, ...] = tuple(f"rtl/{name}.v" for name in MODULES.values())


def render(design: Design) -> dict[str, Content]:
    """The RTL project of ``design``.  Pure and deterministic."""
    sources = {
        f"rtl/{MODULES[role]}.v": render_template(
            TARGET, f"{role}.v.j2", c=design, module=MODULES[role], modules=MODULES)
        for role in MODULES
    }
    return project_files(design, sources, target=TARGET, top_sources=list(SOURCES))
