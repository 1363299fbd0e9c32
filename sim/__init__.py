"""Bit-exact checks of what codegen wrote: C simulation of the HLS project with
g++ and the ap_types headers, and cocotb + Verilator simulation of the RTL,
both against the integer reference.  Never imports torch.

``load_project`` is the one reader of emitted projects; build products go to
``cache_root()``, never into the project folder.
"""

from ._bridge import Bridge, CsimBuild, cxx_flags
from ._cli import main
from ._csim import CsimReport, run_csim
from ._project import Project, cache_root, load_project
from ._rtl import BUILD_ROOT, RtlResult, simulate

__all__ = ["BUILD_ROOT", "Bridge", "CsimBuild", "CsimReport", "Project", "RtlResult",
           "cache_root", "cxx_flags", "load_project", "main", "run_csim", "simulate"]
