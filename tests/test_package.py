"""The package installs: a wheel built from this tree, installed into a fresh
virtual environment outside the repository, emits a Vitis project and passes its
C simulation.  Templates and C++ headers travel as package data."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    assert res.returncode == 0, f"{cmd}: {res.stdout}\n{res.stderr}"
    return res.stdout


def test_wheel_installs_and_runs_emit_and_csim(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(wheels), str(REPO)], cwd=tmp_path)
    (wheel,) = wheels.glob("hadamrnn_flow-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("hls_templates/vitis/top.cpp.j2", "hls_templates/verilog/top.v.j2",
                 "sim/include/hls_stream.h", "sim/include/hrnn_bridge.cpp",
                 "codegen/estimate/data/boards.json", "sim/tb/test_hadamrnn_rtl.py"):
        assert data in names, data

    env_dir = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(env_dir)], cwd=tmp_path)
    py = env_dir / "bin" / "python"
    # Third-party dependencies come from the test's own environment (a path entry:
    # its .pth files, among them the repository's editable install, stay inactive).
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
         cwd=tmp_path)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HADAMRNN_CACHE"] = str(tmp_path / "cache")
    where = _run([str(py), "-c", "import codegen, sim, model, hls_templates; "
                  "print(codegen.__file__, sim.__file__, hls_templates.__file__)"],
                 cwd=tmp_path, env=env)
    assert str(REPO) not in where and str(env_dir) in where
    _run([str(py), "-m", "model", "random", "--hidden", "8", "--block-size", "4",
          "--input-dim", "2", "--outputs", "2", "--seed", "5", "--out", "ir"],
         cwd=tmp_path, env=env)
    _run([str(py), "-m", "codegen", "emit", "ir", "--target", "vitis", "--out", "hls",
          "--tb-sequences", "4", "--tb-steps", "5"], cwd=tmp_path, env=env)
    out = _run([str(py), "-m", "sim", "csim", "hls", "-O0", "--vectors", "8"],
               cwd=tmp_path, env=env)
    assert "csim: PASS (bit-exact)" in out and " 0 mismatches" in out
    assert not (tmp_path / "hls" / "build").exists()
