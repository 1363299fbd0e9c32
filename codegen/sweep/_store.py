"""Content hashes and the on-disk result store of a sweep.

``OUT/points/<key>.json`` holds one point's result, written atomically when the
point finishes, so a sweep that is killed loses at most the points in flight
and a rerun computes only the points whose key has no file.  The key hashes
everything the result depends on: the point's axis values, the IR arguments
(or the stored IR's files), the ``[sweep]`` settings and a fingerprint of the
flow's source (model, codegen's hw / verilog / estimate / tools / project
packages, the Verilog templates, this package's point evaluation).  Yosys and
nextpnr results are cached once more in ``OUT/synth/<hash>.json`` by a hash of
the emitted RTL and the tool settings, so a code change that leaves a point's
RTL alone re-estimates it without running Yosys again.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from model import atomic_write

#: Bumped when the layout of a point's result changes.
SCHEMA = 1
#: Packages (and their sub-folders) whose source decides a point's result.
_SOURCES: tuple[tuple[str, str], ...] = (
    ("model", "*.py"),
    ("codegen", "_targets.py"), ("codegen", "_templates.py"),
    ("codegen", "hw/*.py"), ("codegen", "verilog/*.py"), ("codegen", "estimate/*.py"),
    ("codegen", "estimate/data/*.json"), ("codegen", "tools/*.py"), ("codegen", "project/*.py"),
    ("codegen", "sweep/_point.py"),
    ("hls_templates", "verilog/*.j2"),
)


def digest(value: object) -> str:
    """SHA-256 of ``value`` as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def files_digest(files: dict[str, bytes]) -> str:
    """SHA-256 over ``{relative path: bytes}`` (sorted by path)."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


@cache
def code_fingerprint() -> str:
    """A hash of the source files that decide a point's result (see module doc)."""
    files: dict[str, bytes] = {}
    for package, pattern in _SOURCES:
        root = Path(str(resources.files(package)))
        for path in sorted(root.glob(pattern)):
            files[f"{package}/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return files_digest(files)[:16]


def ir_folder_digest(path: str | Path) -> str:
    """Content hash of a stored IR (``model.json`` + ``weights.npz``, or one .onnx file)."""
    p = Path(path)
    if p.is_file():
        return files_digest({p.name: p.read_bytes()})
    return files_digest({f.name: f.read_bytes() for f in sorted(p.iterdir())
                         if f.is_file() and f.name in ("model.json", "weights.npz")})


def point_key(point: dict[str, object], context: dict[str, object]) -> str:
    """The cache key of a point: its axis values plus everything shared by the
    sweep that changes the result (``context``: IR arguments or content hash,
    settings, code fingerprint, schema)."""
    return digest({"schema": SCHEMA, "point": point, "context": context})[:20]


class Store:
    """The results folder: ``points/<key>.json`` and ``synth/<hash>.json``."""

    def __init__(self, out: str | Path) -> None:
        self.root = Path(out)
        self.points = self.root / "points"
        self.synth = self.root / "synth"

    def point_path(self, key: str) -> Path:
        return self.points / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """A stored point result, or None when absent or unreadable."""
        path = self.point_path(key)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) and doc.get("key") == key else None

    def save(self, record: dict[str, Any]) -> Path:
        path = self.point_path(str(record["key"]))
        atomic_write(path, dumps(record))
        return path


def dumps(doc: object) -> bytes:
    """The JSON text every stored file uses (sorted keys, one-space indent)."""
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def load_cached(folder: str | Path, key: str) -> dict[str, Any] | None:
    """A tool result cached under ``folder/<key>.json`` (None when absent)."""
    try:
        doc = json.loads((Path(folder) / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def save_cached(folder: str | Path, key: str, doc: dict[str, Any]) -> None:
    atomic_write(Path(folder) / f"{key}.json", dumps(doc))
