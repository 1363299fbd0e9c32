"""``python -m codegen estimate``: registered by the estimator (see codegen/_estimate*.py)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``estimate`` subcommand.  Filled in by the estimator module."""
