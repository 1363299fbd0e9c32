"""Writing files so that readers see the old or the new content, never half."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for the caller (or a tool) to write; on a
    clean exit it is renamed over ``path``, on an error it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`replacing`."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_many(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary name first, then rename them in order: a
    failure while writing leaves all the old files untouched."""
    with ExitStack() as stack:
        for path, data in files.items():
            stack.enter_context(replacing(path)).write_bytes(data)
