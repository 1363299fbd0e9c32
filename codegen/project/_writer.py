"""Writing a rendered project to disk: all or nothing, never over foreign files.

Rendering is pure (``{relative path: text or bytes}``); this module is the only
one that touches the output folder.  ``project.json`` lists what codegen wrote,
so a rerun may replace its own files but refuses to overwrite anything else
without ``force``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from model import FlowError

from ._format import PROJECT_JSON, Content


def _check_relative(rel: str) -> None:
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"rendered path {rel!r} escapes the output folder")


def owned_files(out: Path) -> set[str]:
    """The files an earlier emit wrote into ``out`` (from its ``project.json``)."""
    manifest = out / PROJECT_JSON
    if not manifest.is_file():
        return set()
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError, TypeError):
        return set()
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def write_project(files: Mapping[str, Content], out: str | os.PathLike[str], *,
                  force: bool = False) -> Path:
    """Write ``files`` under ``out``.  Refuse (FlowError) when ``out`` holds files
    codegen did not write, unless ``force``.  Files are first written to a
    temporary folder beside ``out`` and then moved in; codegen's own files from
    an earlier emit that this one no longer has are removed."""
    out = Path(out)
    for rel in files:
        _check_relative(rel)
    if out.exists() and not out.is_dir():
        raise FlowError(f"{out}: exists and is not a folder")
    owned = owned_files(out) if out.is_dir() else set()
    if out.is_dir() and not force:
        foreign = sorted(
            str(p.relative_to(out).as_posix()) for p in out.rglob("*")
            if p.is_file() and p.relative_to(out).as_posix() not in owned | {PROJECT_JSON})
        if foreign:
            raise FlowError(
                f"{out}: holds {len(foreign)} file(s) codegen did not write "
                f"(e.g. {foreign[0]}); choose an empty folder or pass --force")
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp"))
    try:
        for rel, content in files.items():
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                dest.write_bytes(content)
            else:
                dest.write_text(content)
        out.mkdir(parents=True, exist_ok=True)
        for old in owned - set(files):
            stale = out / old
            if stale.is_file():
                stale.unlink()
        # project.json last: a reader never sees a manifest ahead of its files
        for rel in sorted(files, key=lambda r: r == PROJECT_JSON):
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out
