"""Design-space sweeps: a grid of emit + estimate (+ Yosys / nextpnr) points run
as Ray tasks, cached per point by content hash, reported as tables and a Pareto
plot.

``load_spec`` reads a TOML / JSON spec, ``expand`` lists its points,
``run_sweep`` evaluates the points that are not stored yet (in-process with one
worker, else on Ray), ``write_reports`` writes ``results.csv``, ``results.md``
and ``pareto.png``.  ``python -m codegen sweep SPEC --out DIR`` is the command.
"""

from ._cli import add_parser as add_sweep_parser
from ._point import estimated_rate, evaluate, one_line, point_name
from ._report import csv_text, markdown_text, pareto_keys, plot_pareto, rows, write_reports
from ._run import SweepResult, run_sweep, tasks
from ._spec import AXES, Point, Spec, SpecError, expand, load_spec, parse_spec
from ._store import SCHEMA, Store, code_fingerprint, digest, point_key

__all__ = [
    "AXES", "SCHEMA", "Point", "Spec", "SpecError", "Store", "SweepResult",
    "add_sweep_parser", "code_fingerprint", "csv_text", "digest", "estimated_rate", "evaluate",
    "expand", "load_spec", "markdown_text", "one_line", "pareto_keys", "parse_spec",
    "plot_pareto", "point_key", "point_name", "rows", "run_sweep", "tasks", "write_reports",
]
