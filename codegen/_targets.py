"""The target registry: name -> renderer ``(design) -> {relative path: content}``.

Targets are imported on demand, so a broken or slow target never costs the
others anything.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from model import DeploymentIR, FlowError

from .hw import Design, EmitOptions, describe
from .project import Content

Renderer = Callable[[Design], dict[str, Content]]

TARGETS: dict[str, str] = {
    "vitis": "codegen.vitis",
    "verilog": "codegen.verilog",
}


def renderer(target: str) -> Renderer:
    if target not in TARGETS:
        raise FlowError(f"unknown target {target!r}; valid targets: {', '.join(sorted(TARGETS))}")
    return import_module(TARGETS[target]).render  # type: ignore[no-any-return]


def render(ir: DeploymentIR, options: EmitOptions) -> dict[str, Content]:
    """IR -> hardware description -> target text.  Pure: no file is touched."""
    render_target = renderer(options.target)
    return render_target(describe(ir, options))
