"""The board / part database (codegen/data/boards.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from model import FlowError


@dataclass(frozen=True, kw_only=True)
class Board:
    key: str
    name: str
    part: str
    family: str          #: 'xc7', 'xcup' (UltraScale+) or 'ice40'
    lut: int
    ff: int
    bram36: int
    uram: int
    dsp: int
    source: str
    ebr4k: int = 0
    spram256k: int = 0


@cache
def boards() -> dict[str, Board]:
    text = resources.files("codegen.estimate").joinpath("data/boards.json").read_text()
    doc = json.loads(text)
    return {key: Board(key=key, **fields) for key, fields in sorted(doc["boards"].items())}


def board(key: str) -> Board:
    table = boards()
    if key not in table:
        raise FlowError(f"unknown board {key!r}; valid boards: {', '.join(table)}")
    return table[key]


def parts() -> dict[str, Board]:
    """Part number -> board, for ``--part`` validation."""
    return {b.part.lower(): b for b in boards().values()}


def check_part(part: str) -> Board:
    table = parts()
    if part.lower() not in table:
        raise FlowError(f"unknown part {part!r}; valid parts: {', '.join(sorted(table))}")
    return table[part.lower()]
