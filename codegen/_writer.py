"""Writing a rendered project to disk: all or nothing, never over foreign files.

Rendering is pure (``{relative path: text}``); this module is the only one that
touches the output folder.  A manifest records what codegen wrote, so a rerun
may replace its own files but refuses to overwrite anything else without
``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from model import FlowError

MANIFEST = ".codegen-manifest.json"


def _check_relative(rel: str) -> None:
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"rendered path {rel!r} escapes the output folder")


def _owned_files(out: Path) -> set[str]:
    manifest = out / MANIFEST
    if not manifest.is_file():
        return set()
    try:
        return set(json.loads(manifest.read_text())["files"])
    except (ValueError, KeyError, TypeError):
        return set()


def write_project(files: dict[str, str], out: str | os.PathLike[str], *, force: bool = False,
                  binary: dict[str, bytes] | None = None) -> Path:
    """Write ``files`` under ``out``.  Refuse (FlowError) when ``out`` holds files
    codegen did not write, unless ``force``.  Files are first written to a
    temporary folder beside ``out`` and then moved in."""
    out = Path(out)
    binary = binary or {}
    for rel in (*files, *binary):
        _check_relative(rel)
    if out.exists() and not out.is_dir():
        raise FlowError(f"{out}: exists and is not a folder")
    if out.is_dir() and not force:
        owned = _owned_files(out) | {MANIFEST}
        foreign = sorted(
            str(p.relative_to(out)) for p in out.rglob("*")
            if p.is_file() and str(p.relative_to(out).as_posix()) not in owned)
        if foreign:
            raise FlowError(
                f"{out}: holds {len(foreign)} file(s) codegen did not write "
                f"(e.g. {foreign[0]}); choose an empty folder or pass --force")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp"))
    try:
        for rel, text in files.items():
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text)
        for rel, data in binary.items():
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        listing = sorted([*files, *binary])
        (stage / MANIFEST).write_text(json.dumps({"files": listing}, indent=1) + "\n")
        out.mkdir(parents=True, exist_ok=True)
        for old in _owned_files(out) - set(listing):
            stale = out / old
            if stale.is_file():
                stale.unlink()
        for rel in [*listing, MANIFEST]:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out
