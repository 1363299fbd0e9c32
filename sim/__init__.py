"""Bit-exact checks of what codegen wrote: C simulation of the HLS project with
g++ and the ap_types headers, and cocotb + Verilator simulation of the RTL,
both against the integer reference.  Never imports torch.

``load_project`` is the one reader of emitted projects; build products go to
``cache_root()``, never into the project folder.
"""

from ._project import Project, cache_root, load_project

__all__ = ["Project", "cache_root", "load_project"]
