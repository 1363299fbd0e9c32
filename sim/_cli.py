"""``python -m sim``: ``csim`` (HLS C simulation) and ``run`` (RTL simulation).

Each subcommand lives in its own module exposing ``add_parser(subparsers)``;
failures print one line (``error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from model import FlowError

#: Modules that register a subcommand, in help order.
SUBCOMMAND_MODULES = ("sim._csim_cli", "sim._rtl_cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim", description="Prove generated hardware bit-exact.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        import_module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except FlowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
