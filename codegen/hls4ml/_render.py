"""The C++ text of a HadamRNN hls4ml layer, printed from the hardware description.

The cell (types, ``step``, ``readout``) is rendered by ``hls_templates/hls4ml/cell.h.j2``,
whose function bodies are the Vitis target's own templates (``input_product.j2``,
``fwht.j2`` / ``dense.j2``, ``state_update.j2``, ``readout.j2``) over the Vitis
context of the same :class:`codegen.hw.Design`.  Nothing here computes a width or a term.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import jinja2

from model import DeploymentIR

from .._templates import _PackageLoader, environment
from ..hw import EmitOptions, describe
from ..vitis import VitisContext, build_context

TARGET = "hls4ml"

#: The static header every HadamRNN layer includes (registered with ``register_source``).
HEADER = "nnet_hadamrnn.h"


@cache
def _environment() -> jinja2.Environment:
    """The project's environment (filters, notice, strictness), looking in
    ``hls_templates/hls4ml`` first and then in ``hls_templates/vitis``."""
    return environment(TARGET).overlay(
        loader=jinja2.ChoiceLoader([_PackageLoader(TARGET), _PackageLoader("vitis")]))


def header_path() -> Path:
    """Absolute path of the static ``nnet_hadamrnn.h`` shipped as package data."""
    return Path(str(resources.files("hls_templates").joinpath(TARGET, HEADER))).resolve()


def cell_context(ir: DeploymentIR, *, datapath: str = "hadamard") -> VitisContext:
    """The Vitis context of the design hls4ml embeds (parallel form, one sequence)."""
    return build_context(describe(ir, EmitOptions(target="vitis", datapath=datapath)))  # type: ignore[arg-type]


def cell_name(index: int) -> str:
    return f"hadamrnn{index}_cell"


def render_cell(ir: DeploymentIR, *, layer: str, index: int,
                datapath: str = "hadamard") -> str:
    return _environment().get_template("cell.h.j2").render(
        c=cell_context(ir, datapath=datapath), layer=layer, cell=cell_name(index))


def render_config(*, index: int, steps: int, n_in: int, n_out: int, every: bool,
                  namespace: str) -> str:
    return _environment().get_template("config.h.j2").render(
        index=index, steps=steps, n_in=n_in, n_out=n_out, every=every,
        namespace=namespace, cell=cell_name(index))


def render_call(*, input_t: str, output_t: str, config: str, input: str, output: str) -> str:
    return _environment().get_template("call.cpp.j2").render(
        input_t=input_t, output_t=output_t, config=config, input=input,
        output=output).strip()
