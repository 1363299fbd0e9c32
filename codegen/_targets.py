"""The target registry: name -> renderer ``(ir, options) -> {relative path: text}``.

Targets are imported on demand, so a broken or slow target never costs the
others anything.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from model import DeploymentIR, FlowError

from ._passes import EmitOptions, check_schedule

Renderer = Callable[[DeploymentIR, EmitOptions], dict[str, str]]

TARGETS: dict[str, str] = {
    "vitis": "codegen._vitis",
    "verilog": "codegen._verilog",
}


def renderer(target: str) -> Renderer:
    if target not in TARGETS:
        raise FlowError(f"unknown target {target!r}; valid targets: {', '.join(sorted(TARGETS))}")
    return import_module(TARGETS[target]).render  # type: ignore[no-any-return]


def render(ir: DeploymentIR, options: EmitOptions) -> dict[str, str]:
    """Validate the schedule, then render the target.  Pure: no file is touched."""
    check_schedule(ir, options)
    return renderer(options.target)(ir, options)
