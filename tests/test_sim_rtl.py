"""RTL simulation (cocotb + Verilator) of emitted Verilog projects against the
integer reference: random gaps and backpressure, back-to-back calls, reset in
the middle of a sequence, saturation, and cycle counts equal to docs/schedule.md.

Builds live under build/test_sim_rtl/<config> and are reused while the emitted
sources are unchanged (one Verilator build per configuration).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import model
from codegen import _verilog_schedule as vsched
from codegen._passes import EmitOptions
from codegen._targets import render
from codegen._writer import write_project
from model import FixedFormat
from sim._cli import main as sim_main
from sim._rtl import RtlResult, simulate

pytestmark = [pytest.mark.slow, pytest.mark.rtl]

ROOT = Path(__file__).resolve().parents[1] / "build" / "test_sim_rtl"
SMALL_STATE = FixedFormat(width=6, frac=4, signed=True)   # saturates under extreme inputs

CONFIGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "n4_binary_f1": (dict(hidden=4, input_dim=2, outputs=2, seed=21,
                          state_format=SMALL_STATE), {}),
    "n8_binary_f2_last_unsigned": (
        dict(hidden=8, input_dim=3, outputs=2, readout="last", seed=22,
             input_format=FixedFormat(width=6, frac=6, signed=False)), {"fold": 2}),
    "n16_block4_f2_b2_floor": (
        dict(hidden=16, block_size=4, input_dim=2, outputs=3, seed=23,
             state_rounding="floor", state_format=SMALL_STATE),
        {"fold": 2, "interleave": 2}),
    "n32_block8_f1_b3_last": (
        dict(hidden=32, block_size=8, input_dim=3, outputs=2, readout="last", seed=24),
        {"interleave": 3}),
    "n16_block8_dense": (dict(hidden=16, block_size=8, input_dim=2, outputs=2, seed=25),
                         {"datapath": "dense"}),
    "n32_binary_f2_sat": (dict(hidden=32, input_dim=2, outputs=2, seed=26,
                               state_format=SMALL_STATE), {"fold": 2}),
}
VECTORS = 24


def _emit(name: str) -> tuple[Path, model.DeploymentIR]:
    ir_kw, opts = CONFIGS[name]
    ir = model.random_ir(**ir_kw)
    files = render(ir, EmitOptions(target="verilog", **opts))
    folder = ROOT / name
    write_project(files, folder, force=True)
    return folder, ir


_cache: dict[str, tuple[RtlResult, model.DeploymentIR]] = {}


def _run(name: str) -> tuple[RtlResult, model.DeploymentIR]:
    if name not in _cache:
        folder, ir = _emit(name)
        _cache[name] = (simulate(folder, vectors=VECTORS, seed=7, max_steps=9), ir)
    return _cache[name]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bit_exact_with_gaps_backpressure_and_reset(name: str) -> None:
    res, ir = _run(name)
    B = int(res.project["interleave"])
    stream = res.results["stream"]
    assert stream["finished"] and stream["mismatches"] == 0, stream["first_mismatch"]
    assert stream["left"] == 0
    calls = -(-VECTORS // B)
    assert stream["sequences"] == calls * B
    per_seq = stream["beats"] // B if ir.readout == "every" else calls
    assert stream["checked"] == (per_seq * B if ir.readout == "every" else calls * B)
    reset = res.results["reset"]
    assert reset["finished"] and reset["mismatches"] == 0, reset["first_mismatch"]
    assert reset["checked"] > 0


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_cycles_match_schedule(name: str) -> None:
    res, _ = _run(name)
    sched = res.project["schedule"]
    timing = res.results["timing"]
    assert timing["finished"] and timing["mismatches"] == 0
    assert timing["calls"] >= 3                       # back-to-back calls, ap_start held
    assert timing["beat_gaps"] == [sched["cycles_per_beat"]]
    assert timing["call_periods"] == [vsched.call_cycles(sched, timing["steps"])]
    _, opts = CONFIGS[name]
    again = vsched.schedule(res.project["hidden"], res.project["block_size"],
                            opts.get("fold", 1), opts.get("interleave", 1),
                            datapath=opts.get("datapath", "hadamard"))
    assert again == sched


@pytest.mark.parametrize("name", ["n4_binary_f1", "n16_block4_f2_b2_floor", "n32_binary_f2_sat"])
def test_saturation_is_exercised(name: str) -> None:
    """The bench's extreme calls drive these small-state designs into saturation,
    so the bit-exact result above covers the saturating path."""
    from sim.tb.test_hadamrnn_rtl import make_calls

    res, ir = _run(name)
    calls = make_calls(ir, int(res.project["interleave"]), VECTORS, 9, 7)
    hit = 0
    for call in calls:
        _, states = model.run(ir, call.x, return_states=True)
        hit += int(np.sum(np.abs(states) == ir.state_max))
    assert hit > 0


def test_mismatch_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """A reference that differs from the RTL (one bias changed in the project's IR
    copy) must fail with the first mismatch printed and exit status 1."""
    res, _ = _run("n4_binary_f1")
    folder = ROOT / "n4_binary_f1"
    ir_path = folder / "ir.json"
    original = ir_path.read_text()
    doc = json.loads(original)
    doc["arrays"]["output_bias"][0] += 1
    try:
        ir_path.write_text(json.dumps(doc))
        rc = sim_main(["run", str(folder), "--vectors", "2", "--seed", "3"])
    finally:
        ir_path.write_text(original)
    err = capsys.readouterr().err
    assert rc == 1
    assert "MISMATCH" in err and "sequence 0, step 0" in err
    assert res.results["stream"]["mismatches"] == 0


def test_cli_run_prints_figures_and_waves(capsys: pytest.CaptureFixture[str]) -> None:
    _run("n4_binary_f1")
    rc = sim_main(["run", str(ROOT / "n4_binary_f1"), "--vectors", "4", "--seed", "1",
                   "--waves"])
    out = capsys.readouterr().out
    assert rc == 0, out
    for word in ("vectors:", "cycles per time step: measured [1]", "simulation time:",
                 "waves:", "PASS"):
        assert word in out
    wave = Path(out.split("waves: ")[1].split()[0])
    assert wave.is_file() and wave.stat().st_size > 0


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sim_main(["run", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
