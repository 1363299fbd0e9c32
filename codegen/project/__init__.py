"""The emitted-project format every target shares: ``project.json`` (the one
manifest: target, top, sources, options, design figures and the list of files
codegen wrote) and ``ir/`` (one copy of the deployment IR, in its own format).

``project_files`` is pure; ``write_project`` is the only code that touches the
output folder; ``sim.load_project`` is the one reader.
"""

from ._format import (
    IR_DIR,
    PROJECT_FORMAT,
    PROJECT_FORMAT_VERSION,
    PROJECT_JSON,
    Content,
    project_files,
    rtl_key,
)
from ._writer import write_project

__all__ = [
    "IR_DIR", "PROJECT_FORMAT", "PROJECT_FORMAT_VERSION", "PROJECT_JSON", "Content",
    "project_files", "rtl_key", "write_project",
]
