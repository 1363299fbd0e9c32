"""``python -m sim``: ``csim`` (HLS C simulation) and ``run`` (RTL simulation).

Each subcommand lives in its own module exposing ``add_parser(subparsers)``;
failures print one line (``error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import import_module

from model import OneLineParser, run_cli

#: Modules that register a subcommand, in help order.
SUBCOMMAND_MODULES = ("sim._csim_cli", "sim._rtl_cli")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m sim", description="Prove generated hardware bit-exact.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        import_module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(build_parser(), argv)
