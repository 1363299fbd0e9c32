"""RTL simulation (cocotb + Verilator) of emitted Verilog projects against the
integer reference: random gaps and backpressure, back-to-back calls, reset in
the middle of a sequence, saturation, and cycle counts equal to docs/schedule.md.

Projects are emitted under build/test_sim_rtl/<config>; their Verilator builds
live in the simulation cache and are reused while the emitted sources are
unchanged (one build per configuration).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import model
from codegen import EmitOptions, render, write_project
from model import FixedFormat
from sim import RtlResult, simulate
from sim import main as sim_main

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
    # pipelined (C-slow): P stages, B >= P interleaved sequences
    "n16_block8_p3_b4_last": (
        dict(hidden=16, block_size=8, input_dim=3, outputs=2, readout="last", seed=27),
        {"pipeline": 3, "interleave": 4}),
    "n16_p2_b2_wide_input": (dict(hidden=16, input_dim=6, outputs=2, seed=31),
                             {"pipeline": 2, "interleave": 2}),
    "n32_binary_p7_b7_sat": (dict(hidden=32, input_dim=2, outputs=3, seed=28,
                                  state_format=SMALL_STATE), {"pipeline": 7, "interleave": 7}),
    # every layer its own stage (even k): one adder per stage, binary trees
    "n16_p6_b7_binary_trees": (dict(hidden=16, input_dim=4, outputs=3, seed=35,
                                    negative_output=1), {"pipeline": 6, "interleave": 7}),
    # da4ml adder graphs (--arith da): shared readout sums, x 1/sqrt(2) as a chain;
    # combinational (P = 1) and staged with delays (two adders per stage, or one)
    "n8_f1_b1_da_sat": (dict(hidden=8, input_dim=3, outputs=4, seed=36,
                             state_format=SMALL_STATE), {"arith": "da"}),
    "n32_p7_b8_da": (dict(hidden=32, input_dim=3, outputs=5, seed=37, negative_output=2),
                     {"pipeline": 7, "interleave": 8, "arith": "da"}),
    # k = 3: the x 1/sqrt(2) chain its own registered layer, every layer a stage
    "n8_p6_b6_da": (dict(hidden=8, input_dim=3, outputs=2, seed=39),
                    {"pipeline": 6, "interleave": 6, "arith": "da"}),
    # every layer its own stage (k = 4): one adder per readout stage
    "n16_p6_b6_da_last": (dict(hidden=16, input_dim=2, outputs=3, readout="last", seed=38),
                          {"pipeline": 6, "interleave": 6, "arith": "da"}),
    # streaming: one element per cycle through delay-feedback butterflies
    "n16_binary_stream_b2_sat": (dict(hidden=16, input_dim=3, outputs=2, seed=29,
                                      state_format=SMALL_STATE),
                                 {"arch": "stream", "interleave": 2}),
    # several lanes: delay-feedback stages per lane, then butterflies across lanes
    "n16_binary_stream_l4_b3_sat": (dict(hidden=16, input_dim=3, outputs=2, seed=32,
                                         state_format=SMALL_STATE),
                                    {"arch": "stream", "lanes": 4, "interleave": 3}),
    "n32_block8_stream_l2_b1_last": (
        dict(hidden=32, block_size=8, input_dim=2, outputs=3, readout="last", seed=33),
        {"arch": "stream", "lanes": 2, "interleave": 1}),
    "n16_stream_l8_b4": (dict(hidden=16, input_dim=2, outputs=2, seed=34),
                         {"arch": "stream", "lanes": 8, "interleave": 4}),
    # 1-bit inputs: U x as the U fields gated by the input bits; x 1/sqrt(2) as
    # da4ml's chain; odd V width: the top Booth digit repeats the sign bit
    "n32_stream_l4_b3_da_x1_w3": (
        dict(hidden=32, input_dim=5, outputs=3, seed=41, weight_bits=3, inv_sqrt2_frac=8,
             input_format=FixedFormat(width=1, frac=0, signed=False)),
        {"arch": "stream", "lanes": 4, "interleave": 3, "arith": "da"}),
    # signed 2-bit inputs, gated bit by bit (the top bit subtracts), 5-bit weights
    "n16_stream_l2_b3_x2s_w5": (
        dict(hidden=16, input_dim=3, outputs=2, seed=42, weight_bits=5,
             input_format=FixedFormat(width=2, frac=1, signed=True)),
        {"arch": "stream", "lanes": 2, "interleave": 3}),
    # --reuse R: a slice held R cycles, one U x and one readout adder shared over
    # groups of inputs and outputs (uneven groups, empty phases, 2 outputs a cycle)
    "n16_stream_r3_b2_sat": (dict(hidden=16, input_dim=5, outputs=4, seed=43,
                                  state_format=SMALL_STATE),
                             {"arch": "stream", "reuse": 3, "interleave": 2}),
    "n32_block8_stream_r4_b1_last_x1_w3": (
        dict(hidden=32, block_size=8, input_dim=3, outputs=5, readout="last", seed=44,
             weight_bits=3, input_format=FixedFormat(width=1, frac=0, signed=False)),
        {"arch": "stream", "reuse": 4, "interleave": 1}),
    # R = 2: every phase's weights are read in the slice before
    "n16_stream_r2_b3_x1": (
        dict(hidden=16, input_dim=2, outputs=2, seed=47,
             input_format=FixedFormat(width=1, frac=0, signed=False)),
        {"arch": "stream", "reuse": 2, "interleave": 3}),
    # R >= k + 2: one butterfly for the k stages and one memory for their delay
    # lines (R = 9, k = 5 above and below; R = k + 2 here: stage 1 on the last phase)
    "n32_block8_stream_r5_b2_every": (
        dict(hidden=32, block_size=8, input_dim=3, outputs=5, seed=46, weight_bits=3),
        {"arch": "stream", "reuse": 5, "interleave": 2}),
    "n32_stream_r9_b2_da_x2s_w5": (
        dict(hidden=32, input_dim=4, outputs=9, seed=45, weight_bits=5, inv_sqrt2_frac=8,
             input_format=FixedFormat(width=2, frac=1, signed=True)),
        {"arch": "stream", "reuse": 9, "interleave": 2, "arith": "da"}),
    "n32_block8_stream_b1_last_unsigned": (
        dict(hidden=32, block_size=8, input_dim=3, outputs=3, readout="last", seed=30,
             input_format=FixedFormat(width=5, frac=5, signed=False)),
        {"arch": "stream", "interleave": 1}),
}
VECTORS = 24


def _ir(name: str) -> model.DeploymentIR:
    """The configuration's IR; ``negative_output`` makes that output's V row
    negative powers of two (every CSD digit negative) and its bias zero: the
    readout tree then sums magnitudes and the result is negated at the end."""
    ir_kw = dict(CONFIGS[name][0])
    neg = ir_kw.pop("negative_output", None)
    ir = model.random_ir(**ir_kw)
    if neg is not None:
        w = np.array(ir.output_weight)
        c = np.array(ir.output_bias)
        mag = np.abs(w[neg])
        w[neg] = -np.where(mag > 0, 1 << np.floor(np.log2(np.maximum(mag, 1))).astype(int), 0)
        c[neg] = 0
        ir = dataclasses.replace(ir, output_weight=w, output_bias=c)
    return ir


def _emit(name: str) -> tuple[Path, model.DeploymentIR]:
    _, opts = CONFIGS[name]
    ir = _ir(name)
    files = render(ir, EmitOptions(target="verilog", **opts))
    folder = ROOT / name
    write_project(files, folder)
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
    B = int(res.project.options["interleave"])
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
    """Measured cycles equal docs/schedule.md's formulas, written out here from the
    design's k, F and B (not read from the code that emitted the design)."""
    res, _ = _run(name)
    timing = res.results["timing"]
    assert timing["finished"] and timing["mismatches"] == 0
    assert timing["calls"] >= 3                       # back-to-back calls, ap_start held
    ir_kw, opts = CONFIGS[name]
    k = (ir_kw.get("block_size") or ir_kw["hidden"]).bit_length() - 1
    F, B, P = opts.get("fold", 1), opts.get("interleave", 1), opts.get("pipeline", 1)
    n, m = ir_kw["hidden"], ir_kw.get("block_size") or ir_kw["hidden"]
    folded = F > 1 and k > 0 and opts.get("datapath", "hadamard") == "hadamard"
    c = k * F + 1 if folded else 1                    # cycles per beat
    first = k * F if folded else 1
    drain = P - 1
    if P > 1:                                         # + the readout tree's levels, FIFO
        from codegen.hw import csd

        ir = _ir(name)
        # a tree over each output's CSD terms and its bias (when non-zero): binary
        # when every loop layer is its own stage and acc is one adder (P = k + 2,
        # k even: no 1/sqrt(2) terms), else groups of four
        group = 2 if (P == k + 2 and k % 2 == 0) else 4

        def levels(count: int) -> int:
            depth = 1
            while count > group:
                count, depth = -(-count // group), depth + 1
            return depth

        if opts.get("arith") == "da":
            # da4ml's graph over the used relu(h) inputs, cut into stages of one
            # adder (binary-tree case) or two, then the output register
            from codegen.hw._cmvm import solve

            V = np.asarray(ir.output_weight)
            relu_max = (1 << (ir.state_format.width - 1)) - 1
            depth = solve(V[:, np.any(V != 0, axis=0)], (0, relu_max)).max_depth
            drain += -(-depth // (1 if group == 2 else 2)) + 1
        else:
            drain += levels(max(sum(len(csd(int(v))) for v in row) + (int(c) != 0)
                                for row, c in zip(ir.output_weight, ir.output_bias,
                                                  strict=True)))
        drain += 2                  # + the output FIFO's write, the datapath's lag
        # U x: its tree (same groups) and the register adding the acc constant must
        # fit the stages before acc (butterfly cuts, from project.json), else the
        # beat enters that many stages ahead of its state
        # (--arith da at odd k: x 1/sqrt(2) is a layer of its own, k + 1, also before acc)
        before_acc = k + (1 if opts.get("arith") == "da" and k % 2 else 0)
        x_delay = sum(1 for j in res.project.options["pipeline_cuts"] if j <= before_acc)
        u_levels = levels(max(sum(len(csd(int(v))) for v in row) for row in ir.input_weight))
        drain += max(0, u_levels + 1 - x_delay)
    if opts.get("arch") == "stream":
        lanes = opts.get("lanes", 1)                  # L elements per cycle
        c, first = n // lanes, 1
        # L_u: entry register, per stage (m / 2^s) / L delay cycles (0 across lanes)
        # plus its output register, then the update's two registers (m + k + 2 for L = 1)
        l_u = 1 + sum(1 + (m >> s) // lanes for s in range(1, k + 1)) + 2
        # L_r: relu(h) registered, then the readout tree's levels of four operands
        # until at most two remain over L lanes x ceil(p_v / 2) Booth digits
        leaves, tree = lanes * -(-_ir(name).output_weight_bits // 2), 0
        while leaves > 2:
            leaves, tree = -(-leaves // 4), tree + 1
        # --reuse R: each slice lasts R cycles, the accumulator adds all digits itself
        R = opts.get("reuse", 1)
        if R > 1:
            c, tree = c * R, 0
        # + the cycle the datapath runs behind the control
        drain = (l_u + 1 + tree) * R + 1 + c - 1      # L_r R + 1, then the step's other slices
    T = timing["steps"]
    assert timing["beat_gaps"] == [c]
    assert timing["call_periods"] == [first + (T * B - 1) * c + drain + 3]
    assert res.project.schedule["cycles_per_beat"] == c


@pytest.mark.parametrize("name", ["n4_binary_f1", "n16_block4_f2_b2_floor", "n32_binary_f2_sat",
                                  "n32_binary_p7_b7_sat", "n16_binary_stream_b2_sat"])
def test_saturation_is_exercised(name: str) -> None:
    """The sequences the bench drove push these small-state designs into saturation
    (the bench counts saturated state elements of exactly what it sent), so the
    bit-exact result above covers the saturating path."""
    res, _ = _run(name)
    assert res.results["stream"]["saturated_states"] > 0


def test_pipelined_saturation_corners_are_exercised() -> None:
    """With acc registered the saturation is split over flip-flops (a set before
    the register, bit 0 and a clear after it): the bench drove rounded sums above
    +state_max, exactly -state_max - 1 and below it through that design."""
    res, _ = _run("n32_binary_p7_b7_sat")
    sums = res.results["stream"]["rounded_sums"]
    assert min(sums.values()) > 0, sums


def test_negated_readout_root_is_exercised() -> None:
    """An output whose readout leaves are all negative is summed as magnitudes
    and negated at the end; the bit-exact runs above cover that path."""
    folder, _ = _emit("n16_p6_b7_binary_trees")
    assert "the tree holds -y" in (folder / "rtl" / "hadamrnn_readout.v").read_text()
    res, _ = _run("n16_p6_b7_binary_trees")
    assert res.results["stream"]["mismatches"] == 0 and res.results["stream"]["checked"] > 0


def test_mismatch_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """A reference that differs from the RTL (one bias changed in the project's IR
    copy) must fail with the first mismatch printed and exit status 1."""
    from dataclasses import replace

    res, ir = _run("n4_binary_f1")
    folder = ROOT / "n4_binary_f1"
    saved = folder.parent / "n4_binary_f1.ir.orig"
    shutil.copytree(folder / "ir", saved, dirs_exist_ok=True)
    bias = ir.output_bias.copy()
    bias[0] += 1
    try:
        model.save_ir(replace(ir, output_bias=bias), folder / "ir")
        rc = sim_main(["run", str(folder), "--vectors", "2", "--seed", "3"])
    finally:
        shutil.copytree(saved, folder / "ir", dirs_exist_ok=True)
        shutil.rmtree(saved)
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


def test_a_vitis_project_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sim run` on a Vitis project: one line naming the mismatch, no Verilator run."""
    ir = model.random_ir(hidden=4, input_dim=2, outputs=1, seed=1)
    write_project(render(ir, EmitOptions(target="vitis", tb_sequences=1, tb_steps=1)),
                  tmp_path / "hls")
    assert sim_main(["run", str(tmp_path / "hls")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a 'vitis' project, not a 'verilog' one" in err


def test_simulation_leaves_the_environment_and_the_project_alone() -> None:
    """PATH and MAKEFLAGS are as before; the project folder holds only what codegen
    wrote, so emitting again needs no --force."""
    import os

    before = {k: os.environ.get(k) for k in ("PATH", "MAKEFLAGS")}
    folder, _ = _emit("n4_binary_f1")
    listed = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    simulate(folder, vectors=2, seed=5, max_steps=3)
    assert {k: os.environ.get(k) for k in ("PATH", "MAKEFLAGS")} == before
    after = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert after == listed
    ir_kw, opts = CONFIGS["n4_binary_f1"]
    write_project(render(model.random_ir(**ir_kw), EmitOptions(target="verilog", **opts)),
                  folder)  # no force
