"""Sweep specifications (TOML or JSON) and their expansion into grid points.

A spec has three tables::

    [sweep]                 # what each point runs
    synth = true            # Yosys on the emitted RTL (the board's family)
    pnr = false             # nextpnr: iCE40 boards on their part, others on an ECP5 LFE5U-85F
    clock_ns = 10.0         # target clock of the estimate (and of nextpnr's constraint)
    steps = 100             # time steps per sequence for the latency figures
    timeout_s = 1800        # per Yosys / nextpnr run

    [ir]                    # fixed arguments of model.random_ir for every point
    input_dim = 4
    outputs = 2
    seed = 1
    # path = "examples/copy200"   # a stored IR instead (then no hidden/block/bits axes)

    [grid]                  # the axes; a scalar is a one-value axis
    hidden = [8, 16]
    block = [4, "hidden"]   # "hidden": one block over the whole state (binary HadamRNN)
    bits = [2, 4]           # bits of U and V
    state_bits = [8]
    board = ["pynq-z2"]
    arch = [                # micro-architectures: each a table of emit options
      { arch = "parallel" },                  # (or just "parallel")
      { arch = "parallel", fold = 4 },
      { arch = "parallel", pipeline = "max" },
      { arch = "stream", interleave = 4 },
    ]

The keys of an ``arch`` table are arch, fold, pipeline, interleave, lanes,
reuse, datapath and arith (the ``emit`` options).  ``pipeline = "max"`` is the deepest pipeline
(log2 m + 2 stages) and ``interleave = "min"`` (the default) the fewest
sequences the design accepts (P for a pipeline, the streaming minimum for
``stream``, else 1); both are resolved per point.  Every problem with the spec
is one line naming the field.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import FlowError

#: Grid axes in expansion order (the last varies fastest).
AXES: tuple[str, ...] = ("board", "hidden", "block", "bits", "state_bits", "arch")
#: Axes that shape a random IR (refused with ``[ir] path``).
IR_AXES: tuple[str, ...] = ("hidden", "block", "bits", "state_bits")
#: Keys of one micro-architecture table and their defaults.
ARCH_KEYS: dict[str, object] = {"arch": "parallel", "fold": 1, "pipeline": 1,
                                "interleave": "min", "lanes": 1, "reuse": 1,
                                "datapath": "hadamard", "arith": "csd"}
#: Keys of ``[ir]`` besides ``path``, with their defaults.
IR_KEYS: dict[str, object] = {"input_dim": 4, "outputs": 2, "seed": 1, "readout": "every",
                              "input_bits": 4, "input_frac": 2, "state_frac": None,
                              "inv_sqrt2_frac": 16, "zero_fraction": 0.2}
#: Keys of ``[sweep]`` and their defaults.
SWEEP_KEYS: dict[str, object] = {"synth": False, "pnr": False, "clock_ns": 10.0,
                                 "steps": 100, "timeout_s": 1800.0}


class SpecError(FlowError):
    """A malformed sweep specification; the message names the file and field."""


@dataclass(frozen=True, kw_only=True)
class Point:
    """One grid point: the IR axes, one micro-architecture, one board."""

    index: int                #: position in the expanded grid (table order)
    board: str
    hidden: int | None        #: None with a stored IR (``[ir] path``)
    block: int | None
    bits: int | None
    state_bits: int | None
    arch: str
    fold: int
    pipeline: int | str       #: an integer or "max"
    interleave: int | str     #: an integer or "min"
    lanes: int
    datapath: str
    arith: str = "csd"
    reuse: int = 1

    def params(self) -> dict[str, object]:
        """The point's axis values (everything but its index)."""
        return {"board": self.board, "hidden": self.hidden, "block": self.block,
                "bits": self.bits, "state_bits": self.state_bits, "arch": self.arch,
                "fold": self.fold, "pipeline": self.pipeline, "interleave": self.interleave,
                "lanes": self.lanes, "datapath": self.datapath, "arith": self.arith,
                # only when set: the cache keys of points without it stay as they were
                **({"reuse": self.reuse} if self.reuse != 1 else {})}


@dataclass(frozen=True, kw_only=True)
class Spec:
    """A parsed sweep specification."""

    name: str
    source: str                           #: the spec file, for messages
    settings: dict[str, Any]              #: ``[sweep]`` with defaults filled in
    ir: dict[str, Any]                    #: ``[ir]`` with defaults filled in
    ir_path: str | None = None            #: a stored IR shared by every point
    grid: dict[str, list[Any]] = field(default_factory=dict)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SpecError(f"{path}: no such sweep spec")
    text = path.read_text()
    try:
        if path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            try:
                import tomllib
            except ImportError:  # Python 3.10
                raise SpecError(f"{path}: TOML specs need Python >= 3.11; "
                                "write the spec as JSON") from None
            doc = tomllib.loads(text)
    except (json.JSONDecodeError, ValueError) as exc:
        raise SpecError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: "
                        f"{' '.join(str(exc).split())}") from None
    if not isinstance(doc, dict):
        raise SpecError(f"{path}: the spec must be a table (object) at the top level")
    return doc


def _int(where: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def _table(where: str, value: object, keys: Mapping[str, object]) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise SpecError(f"{where}: expected a table, got {value!r}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise SpecError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(keys)}")
    return {**keys, **value}


def _settings(where: str, raw: object) -> dict[str, Any]:
    s = _table(where, raw, SWEEP_KEYS)
    for key in ("synth", "pnr"):
        if not isinstance(s[key], bool):
            raise SpecError(f"{where}.{key}: expected true or false, got {s[key]!r}")
    for key in ("clock_ns", "timeout_s"):
        v = s[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            raise SpecError(f"{where}.{key}: expected a positive number, got {v!r}")
        s[key] = float(v)
    s["steps"] = _int(f"{where}.steps", s["steps"])
    if s["pnr"]:
        s["synth"] = True   # place and route reports its own synthesis
    return s


def _ir(where: str, raw: object) -> tuple[dict[str, Any], str | None]:
    keys = {**IR_KEYS, "path": None}
    t = _table(where, raw, keys)
    path = t.pop("path")
    if path is not None and not isinstance(path, str):
        raise SpecError(f"{where}.path: expected a folder name, got {path!r}")
    for key in ("input_dim", "outputs", "input_bits", "inv_sqrt2_frac"):
        t[key] = _int(f"{where}.{key}", t[key])
    for key in ("seed", "input_frac"):
        t[key] = _int(f"{where}.{key}", t[key], minimum=0)
    if t["state_frac"] is not None:
        t["state_frac"] = _int(f"{where}.state_frac", t["state_frac"], minimum=0)
    if t["readout"] not in ("every", "last"):
        raise SpecError(f"{where}.readout: expected 'every' or 'last', got {t['readout']!r}")
    z = t["zero_fraction"]
    if isinstance(z, bool) or not isinstance(z, (int, float)) or not 0 <= z < 1:
        raise SpecError(f"{where}.zero_fraction: expected a number in [0, 1), got {z!r}")
    return t, path


def _axis(where: str, value: object) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SpecError(f"{where}: an axis needs at least one value")
    return values


def _arch(where: str, value: object) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"arch": value}
    a = _table(where, value, ARCH_KEYS)
    if not all(isinstance(a[k], str) for k in ("arch", "datapath", "arith")):
        raise SpecError(f"{where}: arch, datapath and arith are names, got {a['arch']!r}, "
                        f"{a['datapath']!r}, {a['arith']!r}")
    a["fold"] = _int(f"{where}.fold", a["fold"])
    a["lanes"] = _int(f"{where}.lanes", a["lanes"])
    a["reuse"] = _int(f"{where}.reuse", a["reuse"])
    if a["pipeline"] != "max":
        a["pipeline"] = _int(f"{where}.pipeline (an integer or 'max')", a["pipeline"])
    if a["interleave"] != "min":
        a["interleave"] = _int(f"{where}.interleave (an integer or 'min')", a["interleave"])
    return a


def parse_spec(doc: Mapping[str, Any], *, source: str = "<spec>",
               name: str = "sweep") -> Spec:
    """Check a spec document (the parsed TOML / JSON) and fill in the defaults."""
    unknown = sorted(set(doc) - {"name", "sweep", "ir", "grid"})
    if unknown:
        raise SpecError(f"{source}: unknown table {unknown[0]!r}; valid: name, sweep, ir, grid")
    settings = _settings(f"{source}: sweep", doc.get("sweep"))
    ir, ir_path = _ir(f"{source}: ir", doc.get("ir"))
    raw = doc.get("grid")
    if not isinstance(raw, dict) or not raw:
        raise SpecError(f"{source}: grid: a [grid] table of axes is required")
    bad = sorted(set(raw) - set(AXES))
    if bad:
        raise SpecError(f"{source}: grid: unknown axis {bad[0]!r}; valid: {', '.join(AXES)}")
    grid: dict[str, list[Any]] = {}
    for axis in AXES:
        where = f"{source}: grid.{axis}"
        if ir_path is not None and axis in IR_AXES:
            if axis in raw:
                raise SpecError(f"{where}: not an axis with [ir] path (the stored IR fixes it)")
            grid[axis] = [None]
            continue
        if axis not in raw and axis in ("hidden",):
            raise SpecError(f"{where}: required (or give [ir] path)")
        values = _axis(where, raw.get(axis, _DEFAULTS.get(axis)))
        if axis == "arch":
            grid[axis] = [_arch(f"{where}[{i}]", v) for i, v in enumerate(values)]
        elif axis == "board":
            for v in values:
                if not isinstance(v, str):
                    raise SpecError(f"{where}: expected board keys, got {v!r}")
            from ..estimate import boards

            known = boards()
            for v in values:
                if v not in known:
                    raise SpecError(f"{where}: unknown board {v!r}; valid: {', '.join(known)}")
            grid[axis] = values
        elif axis == "block":
            grid[axis] = [v if v == "hidden" else _int(f"{where} (an integer or 'hidden')", v)
                          for v in values]
        else:
            minimum = 2 if axis in ("bits", "state_bits") else 1
            grid[axis] = [_int(where, v, minimum) for v in values]
    spec_name = doc.get("name", name)
    if not isinstance(spec_name, str) or not spec_name:
        raise SpecError(f"{source}: name: expected a non-empty string, got {spec_name!r}")
    return Spec(name=spec_name, source=source, settings=settings, ir=ir, ir_path=ir_path,
                grid=grid)


_DEFAULTS: dict[str, object] = {"board": "pynq-z2", "block": "hidden", "bits": 4,
                                "state_bits": 16, "arch": [{"arch": "parallel"}]}


def load_spec(path: str | Path) -> Spec:
    """Read and check a ``.toml`` or ``.json`` sweep spec."""
    p = Path(path)
    return parse_spec(_read(p), source=str(p), name=p.stem)


def expand(spec: Spec) -> list[Point]:
    """Every grid point, in table order; points that repeat one another (``block =
    "hidden"`` beside the same number) are kept once, at their first position."""
    seen: set[str] = set()
    points: list[Point] = []
    for board, hidden, block, bits, state_bits, arch in itertools.product(
            *(spec.grid[a] for a in AXES)):
        point = Point(index=len(points), board=board, hidden=hidden,
                      block=hidden if block == "hidden" else block, bits=bits,
                      state_bits=state_bits, **arch)
        ident = json.dumps(point.params(), sort_keys=True)
        if ident in seen:
            continue
        seen.add(ident)
        points.append(point)
    return points
