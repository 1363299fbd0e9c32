"""The one exception type that user-facing commands turn into a one-line message."""

from __future__ import annotations


class FlowError(Exception):
    """A problem with the user's input: bad IR, bad option, missing file.

    Command-line entry points print ``error: <message>`` and exit with status 2.
    """
