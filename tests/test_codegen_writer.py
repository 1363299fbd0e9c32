"""The project writer: all or nothing, never over files codegen did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen import write_project
from model import FlowError


def test_writes_files_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "prj"
    write_project({"a.txt": "A\n", "src/b.h": "B\n"}, out)
    assert (out / "a.txt").read_text() == "A\n"
    assert (out / "src" / "b.h").read_text() == "B\n"
    assert (out / ".codegen-manifest.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".prj.tmp")]


def test_rewrite_replaces_own_files_and_drops_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "prj"
    write_project({"a.txt": "1", "old.txt": "x"}, out)
    write_project({"a.txt": "2"}, out)
    assert (out / "a.txt").read_text() == "2"
    assert not (out / "old.txt").exists()


def test_refuses_foreign_files_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "prj"
    out.mkdir()
    (out / "mine.cpp").write_text("user work")
    with pytest.raises(FlowError, match="did not write .*--force"):
        write_project({"a.txt": "A"}, out)
    assert not (out / "a.txt").exists()
    assert (out / "mine.cpp").read_text() == "user work"
    write_project({"a.txt": "A"}, out, force=True)
    assert (out / "mine.cpp").read_text() == "user work"  # --force never deletes foreign files
    assert (out / "a.txt").read_text() == "A"


@pytest.mark.parametrize("bad", ["../escape.txt", "/abs.txt"])
def test_rendered_paths_stay_inside(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="escapes"):
        write_project({bad: "x"}, tmp_path / "prj")
