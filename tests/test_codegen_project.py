"""The emitted-project format and its writer: one manifest, one IR copy, all or
nothing, never over files codegen did not write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen import EmitOptions, describe, render, write_project
from codegen.project import PROJECT_JSON, Content
from model import FlowError, load_ir, random_ir


def prj(files: dict[str, Content]) -> dict[str, Content]:
    """``files`` plus the manifest that lists them (what every target renders)."""
    listing = sorted([*files, PROJECT_JSON])
    return {**files, PROJECT_JSON: json.dumps({"files": listing})}


@pytest.mark.parametrize("target", ["vitis", "verilog"])
def test_every_target_writes_one_manifest_and_one_ir_copy(tmp_path: Path, target: str) -> None:
    ir = random_ir(hidden=8, block_size=4, input_dim=2, outputs=2, seed=4)
    files = render(ir, EmitOptions(target=target, tb_sequences=2, tb_steps=2))
    out = write_project(files, tmp_path / target)
    doc = json.loads((out / PROJECT_JSON).read_text())
    assert doc["target"] == target and doc["files"] == sorted(files)
    assert sorted(p for p in files if p.startswith("ir/")) == ["ir/model.json", "ir/weights.npz"]
    assert not [p for p in files if p.endswith((".json", ".npz")) and p not in
                ("ir/model.json", "ir/weights.npz", PROJECT_JSON)]
    again = load_ir(out / "ir")
    for name in ("sign", "input_weight", "state_bias", "output_weight", "output_bias"):
        assert (getattr(again, name) == getattr(ir, name)).all()
    design = describe(ir, EmitOptions(target=target))
    assert doc["design"]["schedule"]["cycles_per_beat"] == design.schedule.cycles_per_beat


def test_writes_files_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "prj"
    write_project(prj({"a.txt": "A\n", "src/b.h": "B\n", "w.bin": b"\x00\x01"}), out)
    assert (out / "a.txt").read_text() == "A\n"
    assert (out / "src" / "b.h").read_text() == "B\n"
    assert (out / "w.bin").read_bytes() == b"\x00\x01"
    assert (out / PROJECT_JSON).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".prj.tmp")]


def test_rewrite_replaces_own_files_and_drops_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "prj"
    write_project(prj({"a.txt": "1", "old.txt": "x"}), out)
    write_project(prj({"a.txt": "2"}), out)
    assert (out / "a.txt").read_text() == "2"
    assert not (out / "old.txt").exists()


def test_refuses_foreign_files_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "prj"
    out.mkdir()
    (out / "mine.cpp").write_text("user work")
    with pytest.raises(FlowError, match="did not write .*--force"):
        write_project(prj({"a.txt": "A"}), out)
    assert not (out / "a.txt").exists()
    assert (out / "mine.cpp").read_text() == "user work"
    write_project(prj({"a.txt": "A"}), out, force=True)
    assert (out / "mine.cpp").read_text() == "user work"  # --force never deletes foreign files
    assert (out / "a.txt").read_text() == "A"


@pytest.mark.parametrize("bad", ["../escape.txt", "/abs.txt"])
def test_rendered_paths_stay_inside(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="escapes"):
        write_project({bad: "x"}, tmp_path / "prj")
