"""The one reader of emitted projects (``project.json`` + ``ir/``), for every
target, and the cache folder where simulation build products go (never inside
the emitted project, so re-emitting needs no ``--force``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.project import PROJECT_FORMAT, PROJECT_FORMAT_VERSION, PROJECT_JSON
from model import DeploymentIR, FlowError, load_ir

EMIT_HINT = {
    "vitis": "python -m codegen emit IR --target vitis --out DIR",
    "verilog": "python -m codegen emit IR --target verilog --out DIR",
}


@dataclass(frozen=True, kw_only=True)
class Project:
    """An emitted project: its folder, manifest and IR."""

    folder: Path
    doc: dict[str, Any]
    ir: DeploymentIR

    @property
    def target(self) -> str:
        return str(self.doc["target"])

    @property
    def top(self) -> str:
        return str(self.doc["top"])

    @property
    def sources(self) -> list[Path]:
        return [self.folder / s for s in self.doc["sources"]]

    @property
    def testbench(self) -> Path | None:
        tb = self.doc.get("testbench")
        return self.folder / tb if tb else None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.doc["options"])

    @property
    def interface(self) -> dict[str, Any]:
        return dict(self.doc["interface"])

    @property
    def schedule(self) -> dict[str, Any]:
        return dict(self.doc["design"]["schedule"])

    @property
    def tb(self) -> dict[str, Any]:
        return dict(self.doc["tb"])


def load_project(folder: str | os.PathLike[str], *, target: str | None = None) -> Project:
    """Read and check ``folder``; with ``target``, refuse a project of another target.
    Every problem is one FlowError line naming the file and what is wrong."""
    root = Path(folder)
    hint = EMIT_HINT.get(target or "", "python -m codegen emit IR --target T --out DIR")
    meta = root / PROJECT_JSON
    if not root.is_dir():
        raise FlowError(f"{root}: no such project folder (emit one with `{hint}`)")
    if not meta.is_file():
        raise FlowError(f"{root}: not a project from codegen (no {PROJECT_JSON}); "
                        f"emit one with `{hint}`")
    try:
        doc = json.loads(meta.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise FlowError(f"{meta}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != PROJECT_FORMAT:
        raise FlowError(f"{meta}: not a {PROJECT_FORMAT} manifest; emit the project again")
    if doc.get("format_version") != PROJECT_FORMAT_VERSION:
        raise FlowError(f"{meta}: format_version {doc.get('format_version')!r}, this flow "
                        f"reads {PROJECT_FORMAT_VERSION}; emit the project again")
    if target is not None and doc.get("target") != target:
        raise FlowError(f"{root}: a {doc.get('target')!r} project, not a {target!r} one; "
                        f"emit one with `{hint}`")
    for key in ("top", "sources", "ir", "options", "design", "interface", "tb"):
        if key not in doc:
            raise FlowError(f"{meta}: field {key!r} is missing; emit the project again")
    named = [*doc["sources"], *([doc["testbench"]] if doc.get("testbench") else [])]
    for rel in named:
        if not (root / rel).is_file():
            raise FlowError(f"{root / rel}: missing source named in {PROJECT_JSON}; "
                            "emit the project again")
    return Project(folder=root, doc=doc, ir=load_ir(root / str(doc["ir"])))


def cache_root() -> Path:
    """Where simulation build products go: ``$HADAMRNN_CACHE``, else
    ``$XDG_CACHE_HOME/hadamrnn-flow``, else ``~/.cache/hadamrnn-flow``."""
    explicit = os.environ.get("HADAMRNN_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "hadamrnn-flow"
