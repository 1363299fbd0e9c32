"""C simulation of generated Vitis projects: bit-exact against model.run.

Each configuration is emitted and compiled (g++ -O0, the fastest to compile)
once per test session; the ctypes bridge then runs many sequences per config.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen import EmitOptions, render, write_project
from model import DeploymentIR, FixedFormat, random_ir, run, tb_inputs
from sim import Bridge, CsimBuild, cxx_flags, load_project, run_csim
from sim._csim import CsimReport, read_tb_inputs

ARRAYS = ("sign", "input_weight", "state_bias", "output_weight", "output_bias")


def fresh_vectors(ir: DeploymentIR, *, count: int, steps: int, seed: int) -> np.ndarray:
    return tb_inputs(ir, count=count, steps=steps, seed=seed)

FLAGS = cxx_flags(0)
REPO = Path(__file__).resolve().parents[1]

#: name -> (random_ir keyword arguments, EmitOptions keyword arguments)
CONFIGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "n4_m4_every": (dict(hidden=4, block_size=4, input_dim=2, outputs=2, seed=21), {}),
    "n8_m1_every": (dict(hidden=8, block_size=1, input_dim=2, outputs=2, seed=27), {}),
    "n4_m2_wide_x_stream": (  # 1600-bit x beats: AP_INT_MAX_W raised
        dict(hidden=4, block_size=2, input_dim=200, outputs=2, seed=28), {}),
    "n16_m16_last_f2": (
        dict(hidden=16, block_size=16, input_dim=3, outputs=2, readout="last", seed=22),
        dict(fold=2)),
    "n16_m8_blocks_floor_f4_b2": (
        dict(hidden=16, block_size=8, input_dim=3, outputs=3, seed=23, state_rounding="floor"),
        dict(fold=4, interleave=2)),
    "n64_m32_blocks_last_unsigned_b3": (
        dict(hidden=64, block_size=32, input_dim=4, outputs=3, readout="last", seed=24,
             input_format=FixedFormat(width=7, frac=5, signed=False)),
        dict(interleave=3)),
    "n64_m64_saturating_f2": (
        dict(hidden=64, block_size=64, input_dim=3, outputs=2, seed=25, weight_bits=6,
             state_format=FixedFormat(width=8, frac=4, signed=True),
             input_format=FixedFormat(width=8, frac=2, signed=True)),
        dict(fold=2)),
    "n128_m128_every_f4": (
        dict(hidden=128, block_size=128, input_dim=10, outputs=9, seed=1), dict(fold=4)),
    "n32_m8_dense": (
        dict(hidden=32, block_size=8, input_dim=3, outputs=2, seed=26), dict(datapath="dense")),
    # --arith da: da4ml's shared readout graph and x 1/sqrt(2) chain (k = 5 odd)
    "n32_m32_da_saturating": (
        dict(hidden=32, block_size=32, input_dim=3, outputs=5, seed=29,
             state_format=FixedFormat(width=8, frac=4, signed=True)), dict(arith="da")),
    "n128_m128_da_f2": (
        dict(hidden=128, block_size=128, input_dim=10, outputs=9, seed=1),
        dict(arith="da", fold=2)),
}


class Compiled:
    def __init__(self, *, project: Path, ir: DeploymentIR, bridge: Bridge, build: CsimBuild):
        self.project, self.ir, self.bridge, self.build = project, ir, bridge, build


def emit(ir: DeploymentIR, folder: Path, **options: Any) -> Path:
    opts = EmitOptions(target="vitis", tb_sequences=options.pop("tb_sequences", 6),
                       tb_steps=options.pop("tb_steps", 7), **options)
    return write_project(render(ir, opts), folder)


def compile_project(project: Path) -> Compiled:
    build = CsimBuild(project=project, flags=FLAGS)
    return Compiled(project=project, ir=load_project(project, target="vitis").ir,
                    bridge=Bridge(build=build), build=build)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache: dict[str, Compiled] = {}
    root = tmp_path_factory.mktemp("vitis_csim")

    def get(name: str) -> Compiled:
        if name not in cache:
            ir_kwargs, options = CONFIGS[name]
            project = emit(random_ir(**ir_kwargs), root / name, **options)
            cache[name] = compile_project(project)
        return cache[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bridge_bit_exact(name: str, compiled: Any) -> None:
    c = compiled(name)
    emitted = random_ir(**CONFIGS[name][0])  # the project's IR copy is the emitted IR
    for field in ARRAYS:
        np.testing.assert_array_equal(getattr(c.ir, field), getattr(emitted, field))
    assert c.ir.state_format == emitted.state_format and c.ir.meta == emitted.meta
    for count, steps, seed in ((67, 9, 1), (5, 1, 2)):
        x = fresh_vectors(c.ir, count=count, steps=steps, seed=seed)
        want = run(c.ir, x)
        got = c.bridge.predict(x)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_saturating_config_really_saturates(compiled: Any) -> None:
    c = compiled("n64_m64_saturating_f2")
    x = fresh_vectors(c.ir, count=16, steps=9, seed=1)
    _, states = run(c.ir, x, return_states=True)
    assert (states == c.ir.state_max).any() and (states == -c.ir.state_max).any()
    np.testing.assert_array_equal(c.bridge.predict(x), run(c.ir, x))


@pytest.mark.parametrize("name", ["n4_m4_every", "n64_m32_blocks_last_unsigned_b3"])
def test_generated_testbench_passes(name: str, compiled: Any) -> None:
    c = compiled(name)
    res = subprocess.run([str(c.build.testbench()), str(c.project / "tb_data")],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout
    assert res.stdout.startswith("PASS: 6 sequences x 7 steps")


def test_testbench_reports_first_mismatch(compiled: Any, tmp_path: Path) -> None:
    c = compiled("n4_m4_every")
    data = tmp_path / "tb_data"
    shutil.copytree(c.project / "tb_data", data)
    lines = (data / "tb_output.dat").read_text().splitlines()
    # sequence 1, step 2, output 1 (rows: sequence-major, one row per step)
    row = 1 + 1 * 7 + 2
    vals = lines[row].split()
    vals[1] = str(int(vals[1]) + 1)
    lines[row] = " ".join(vals)
    (data / "tb_output.dat").write_text("\n".join(lines) + "\n")
    res = subprocess.run([str(c.build.testbench()), str(data)], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 1
    assert re.search(r"FAIL: sequence 1 step 2 output 1: expected -?\d+ got -?\d+", res.stdout)


def _sim_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          check=False, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_csim_cli_passes(compiled: Any) -> None:
    c = compiled("n16_m8_blocks_floor_f4_b2")
    res = _sim_cli("csim", str(c.project), "-O0", "--vectors", "200", "--seed", "3")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "csim: PASS (bit-exact)" in res.stdout
    assert "206 sequences" in res.stdout and " 0 mismatches" in res.stdout
    report = run_csim(c.project, vectors=10, opt=0, testbench=False)
    assert report.ok and report.vectors == 16 and report.mismatches == 0


def test_csim_detects_a_broken_design(tmp_path: Path) -> None:
    ir_kwargs, _ = CONFIGS["n4_m4_every"]
    project = emit(random_ir(**ir_kwargs), tmp_path / "broken")
    top = project / "src" / "hadamrnn_top.cpp"
    code = top.read_text()
    # swap one butterfly's subtraction for an addition
    broken = code.replace("s2_2 = s1_0 - s1_2;", "s2_2 = s1_0 + s1_2;")
    assert broken != code
    top.write_text(broken)
    res = _sim_cli("csim", str(project), "-O0", "--vectors", "20")
    assert res.returncode == 1
    assert re.search(r"first mismatch: sequence \d+ step \d+ output \d+: expected", res.stdout)
    assert "test bench: FAIL: sequence" in res.stdout


def test_csim_cli_errors(tmp_path: Path) -> None:
    res = _sim_cli("csim", str(tmp_path))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "project.json" in lines[0]


def test_vectors_zero_is_refused_and_nothing_checked_is_no_pass(compiled: Any) -> None:
    """`--vectors 0` used to pass having checked nothing: now one error line; and a
    report that checked no output is never a pass."""
    c = compiled("n4_m4_every")
    res = _sim_cli("csim", str(c.project), "-O0", "--vectors", "0")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "--vectors" in res.stderr
    assert not CsimReport(testbench_ok=True, testbench_output="").ok


def test_csim_builds_outside_the_project_and_reemit_needs_no_force(compiled: Any) -> None:
    c = compiled("n4_m4_every")
    c.bridge.predict(fresh_vectors(c.ir, count=2, steps=2, seed=0))
    files = sorted(p.relative_to(c.project).as_posix() for p in c.project.rglob("*")
                   if p.is_file())
    assert not [f for f in files if f.startswith("build/") or f.endswith((".o", ".so"))]
    ir_kwargs, _ = CONFIGS["n4_m4_every"]
    emit(random_ir(**ir_kwargs), c.project)  # codegen's own files only: no --force


@pytest.mark.slow
@settings(max_examples=3, deadline=None, derandomize=True)
@given(
    k=st.integers(0, 3),
    blocks=st.sampled_from([1, 2]),
    readout=st.sampled_from(["every", "last"]),
    fold_log=st.integers(0, 2),
    interleave=st.integers(1, 2),
    seed=st.integers(0, 1000),
)
def test_random_irs_bit_exact(k: int, blocks: int, readout: str, fold_log: int,
                              interleave: int, seed: int,
                              tmp_path_factory: pytest.TempPathFactory) -> None:
    m = 1 << k
    n = max(m * blocks, 2)
    fold = min(1 << fold_log, n // 2)
    ir = random_ir(hidden=n, block_size=m, input_dim=2, outputs=2, readout=readout,  # type: ignore[arg-type]
                   seed=seed, state_rounding="floor" if seed % 2 else "half_up")
    project = emit(ir, tmp_path_factory.mktemp("hyp") / "p", fold=fold,
                   interleave=interleave)
    c = compile_project(project)
    x = fresh_vectors(ir, count=25, steps=6, seed=seed)
    np.testing.assert_array_equal(c.bridge.predict(x), run(ir, x))


# ---------------------------------------------------------------- the streaming form

#: name -> (random_ir keyword arguments, EmitOptions keyword arguments, sequence length or
#: None for the default) of ``--arch stream`` projects; the test bench runs whole sequences
STREAM_CONFIGS: dict[str, tuple[dict[str, Any], dict[str, Any], int | None]] = {
    # one lane, binary n = m = 8 (odd log2 m: 1/sqrt(2) as CSD), B = 2
    "stream_n8_m8_L1_B2_every": (
        dict(hidden=8, block_size=8, input_dim=2, outputs=2, seed=31),
        dict(lanes=1, interleave=2), None),
    # two lanes, readout last, 80-bit U words, 48-step sequences
    "stream_n16_m16_L2_B2_last": (
        dict(hidden=16, block_size=16, input_dim=10, outputs=3, readout="last", seed=32),
        dict(lanes=2, interleave=2), 48),
    # block design (m = 4 < L: every stage across lanes), floor, unsigned input, B = 3
    "stream_n16_m4_L4_B3_floor_unsigned": (
        dict(hidden=16, block_size=4, input_dim=3, outputs=3, seed=33, state_rounding="floor",
             input_format=FixedFormat(width=7, frac=5, signed=False)),
        dict(lanes=4, interleave=3), None),
    # L = n/2 and B*N = L_u: the ring closes without a state delay line
    "stream_n16_m16_L8_B4_every": (
        dict(hidden=16, block_size=16, input_dim=2, outputs=2, seed=34),
        dict(lanes=8, interleave=4), None),
    # one lane at II = 3 (--reuse 3): the same integers
    "stream_n16_m16_L1_R3_B2_every": (
        dict(hidden=16, block_size=16, input_dim=5, outputs=3, seed=36),
        dict(lanes=1, reuse=3, interleave=2), None),
    # n = 64, L = 4: delay lines of 8, 4, 2, 1 slices; an 8-bit state that saturates
    "stream_n64_m64_L4_B2_saturating": (
        dict(hidden=64, block_size=64, input_dim=3, outputs=2, seed=35, weight_bits=6,
             state_format=FixedFormat(width=8, frac=4, signed=True),
             input_format=FixedFormat(width=8, frac=2, signed=True)),
        dict(lanes=4, interleave=2), None),
}


def stream_ir(name: str) -> DeploymentIR:
    from dataclasses import replace

    ir_kwargs, _, steps = STREAM_CONFIGS[name]
    ir = random_ir(**ir_kwargs)
    return replace(ir, meta={"steps": steps}) if steps else ir


def emit_stream(name: str, folder: Path) -> Path:
    _, options, _ = STREAM_CONFIGS[name]
    opts = EmitOptions(target="vitis", arch="stream", **options)  # tb: 16 sequences, whole calls
    return write_project(render(stream_ir(name), opts), folder)


@pytest.mark.parametrize("name", sorted(STREAM_CONFIGS))
def test_stream_csim_bit_exact(name: str, tmp_path: Path) -> None:
    """The streaming Vitis C++ (one pipelined slice loop) equals model.run on every
    output: the project's test bench on its full-length vectors, then the bridge on
    those and on fresh sequences of the same length (every fourth saturating)."""
    ir = stream_ir(name)
    project = emit_stream(name, tmp_path / name)
    loaded = load_project(project, target="vitis")
    steps, seqs = int(loaded.doc["tb"]["steps"]), int(loaded.doc["tb"]["sequences"])
    interleave = STREAM_CONFIGS[name][1]["interleave"]
    assert steps == (STREAM_CONFIGS[name][2] or 16) and seqs == -(-16 // interleave) * interleave
    report = run_csim(project, vectors=24, opt=0)
    assert report.testbench_ok, report.testbench_output
    assert report.testbench_output.startswith(f"PASS: {seqs} sequences x {steps} steps")
    out_steps = steps if ir.readout == "every" else 1
    assert report.vectors == seqs + 24 and report.steps == report.vectors * steps
    assert report.outputs_checked == report.vectors * out_steps * ir.outputs
    assert report.mismatches == 0 and report.first is None and report.ok
    if name.endswith("saturating"):
        _, states = run(ir, read_tb_inputs(project / "tb_data" / "tb_input.dat", ir),
                        return_states=True)
        assert (states == ir.state_max).any() and (states == -ir.state_max).any()


def test_stream_csim_detects_a_broken_butterfly(tmp_path: Path) -> None:
    name = "stream_n8_m8_L1_B2_every"
    project = emit_stream(name, tmp_path / "broken")
    top = project / "src" / "hadamrnn_top.cpp"
    code = top.read_text()
    broken = code.replace("const sdf2_t dif = q - b;", "const sdf2_t dif = b - q;")
    assert broken != code
    top.write_text(broken)
    report = run_csim(project, vectors=8, opt=0)
    assert not report.testbench_ok and report.testbench_output.startswith("FAIL: sequence")
    assert report.mismatches > 0 and not report.ok
