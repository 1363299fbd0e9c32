"""Command-line plumbing shared by ``python -m model``, ``codegen`` and ``sim``:
integer option types and the wrapper that turns a FlowError into one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ._errors import FlowError


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad option as one ``error:`` line (exit status 2),
    without the usage block."""

    def error(self, message: str) -> NoReturn:
        raise FlowError(f"{self.prog}: {message}")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting integers ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"int>={minimum}"
    return parse


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)


def run_cli(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and call ``args.func(args)``.  A FlowError prints
    ``error: <message>`` on one line and returns 2; Ctrl-C returns 130."""
    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except FlowError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
