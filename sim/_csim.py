"""C simulation of a generated Vitis HLS project against the integer reference.

1. the project's own C test bench runs on its tb_data/ vectors (exit 0 = pass);
2. the ctypes bridge runs the same vectors and ``--vectors N`` fresh random
   sequences (every fourth one saturating), and every output is compared with
   ``model.run`` on the project's copy of the IR.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import DeploymentIR, FlowError, tb_inputs
from model import run as reference_run

from ._bridge import Bridge, CsimBuild, cxx_flags


@dataclass(kw_only=True)
class Mismatch:
    sequence: int
    step: int
    output: int
    expected: int
    got: int

    def __str__(self) -> str:
        return (f"sequence {self.sequence} step {self.step} output {self.output}: "
                f"expected {self.expected} got {self.got}")


@dataclass(kw_only=True)
class CsimReport:
    testbench_ok: bool
    testbench_output: str
    vectors: int = 0
    steps: int = 0
    outputs_checked: int = 0
    mismatches: int = 0
    first: Mismatch | None = None
    compile_seconds: float = 0.0
    csim_seconds: float = 0.0
    reference_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.testbench_ok and self.outputs_checked > 0 and self.mismatches == 0


def read_tb_inputs(path: Path, ir: DeploymentIR) -> np.ndarray:
    """The test-bench inputs a Vitis project carries (first line: S T D)."""
    try:
        data = np.loadtxt(path, dtype=np.int64, ndmin=2, skiprows=1)
        head = path.read_text().split("\n", 1)[0].split()
        s, t, d = (int(v) for v in head)
        return data.reshape(s, t, d)
    except (OSError, ValueError) as exc:
        raise FlowError(f"{path}: unreadable test-bench inputs ({exc})") from None


def compare(y_ref: np.ndarray, y_got: np.ndarray, *, every: bool,
            steps: int) -> tuple[int, Mismatch | None]:
    """Count differing outputs; describe the first (sequence-major order)."""
    ref = y_ref.reshape(y_ref.shape[0], -1, y_ref.shape[-1])
    got = y_got.reshape(ref.shape)
    bad = np.argwhere(ref != got)
    if not len(bad):
        return 0, None
    s, t, o = (int(v) for v in bad[0])
    return len(bad), Mismatch(sequence=s, step=t if every else steps - 1, output=o,
                              expected=int(ref[s, t, o]), got=int(got[s, t, o]))


def run_csim(project: str | os.PathLike[str], *, vectors: int = 0, seed: int = 1,
             steps: int | None = None, testbench: bool = True,
             opt: int = 2) -> CsimReport:
    """Run the test bench, then the bridge on tb_data and ``vectors`` fresh
    sequences; ``opt`` is g++'s -O level (0 compiles about 3x faster than 1 or 2
    and runs about 30x slower)."""
    folder = Path(project)
    build = CsimBuild(project=folder, flags=cxx_flags(opt))
    ir = build.loaded.ir
    every = ir.readout == "every"
    tb_ok, tb_out = True, "(test bench not run)"
    if testbench:
        exe = build.testbench()
        res = subprocess.run([str(exe), str(folder / "tb_data")], capture_output=True,
                             text=True, check=False)
        tb_ok, tb_out = res.returncode == 0, (res.stdout + res.stderr).strip()
    bridge = Bridge(build=build)
    report = CsimReport(testbench_ok=tb_ok, testbench_output=tb_out)
    batches = [read_tb_inputs(folder / str(build.loaded.doc["tb_data"]["input"]), ir)]
    if vectors > 0:
        n_steps = steps or int(build.loaded.tb["steps"])
        batches.append(tb_inputs(ir, count=vectors, steps=n_steps, seed=seed))
    for x in batches:
        t0 = time.perf_counter()
        y_got = bridge.predict(x)
        t1 = time.perf_counter()
        y_ref = np.asarray(reference_run(ir, x))
        t2 = time.perf_counter()
        report.csim_seconds += t1 - t0
        report.reference_seconds += t2 - t1
        bad, first = compare(y_ref, y_got, every=every, steps=x.shape[1])
        report.vectors += x.shape[0]
        report.steps += x.shape[0] * x.shape[1]
        report.outputs_checked += int(y_ref.size)
        report.mismatches += bad
        if first is not None and report.first is None:
            report.first = first
    report.compile_seconds = build.compile_seconds
    return report
