"""The task container every loader returns: splits, batching, and the task's facts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .._errors import FlowError
from .._fixed import FixedFormat

SPLITS: tuple[str, ...] = ("train", "val", "test")

#: Turns stored rows (a slice of the split's arrays) into one batch ``(x, y)``.
BatchFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, kw_only=True, eq=False)
class Split:
    """One split stored compactly: ``x`` and ``y`` rows, made into batches by ``make``."""

    x: np.ndarray
    y: np.ndarray
    make: BatchFn

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskData:
    """A loaded task: what the network must look like and the data to train it on.

    ``batches`` yields ``x`` as float32 ``(B, T, input_dim)`` real values (or int64
    ``(B, T)`` token ids when ``vocab`` is set) and ``y`` as int64 ``(B, T)`` for
    readout ``every`` or ``(B,)`` for readout ``last``.
    """

    name: str
    readout: Literal["every", "last"]
    loss: Literal["ce", "bce"]
    input_dim: int
    outputs: int
    input_format: FixedFormat
    vocab: int | None
    seq_len: int
    splits: dict[str, Split]
    meta: dict[str, Any] = field(default_factory=dict)

    def _split(self, split: str) -> Split:
        if split not in SPLITS:
            raise FlowError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        return self.splits[split]

    def size(self, split: str) -> int:
        """Number of sequences in ``split`` ('train', 'val' or 'test')."""
        return len(self._split(split))

    def batches(
        self, split: str, batch_size: int, *, shuffle: bool, seed: int = 0
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Iterate over ``split`` in batches; the last partial batch is included.

        With ``shuffle`` the order is a permutation drawn from ``seed`` (the same
        seed gives the same batches); without it the stored order.
        """
        part = self._split(split)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise FlowError(f"batch_size must be a positive integer, got {batch_size!r}")
        n = len(part)
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            yield part.make(part.x[idx], part.y[idx])


def pick(rng: np.random.Generator, n: int, sizes: list[int]) -> list[np.ndarray]:
    """Disjoint index sets of the given sizes drawn without replacement from ``range(n)``."""
    perm = rng.permutation(n)
    out, start = [], 0
    for size in sizes:
        out.append(np.sort(perm[start:start + size]))
        start += size
    return out


def check_size(value: int | None, default: int, available: int, what: str) -> int:
    """Resolve a requested split size against what the data holds."""
    if value is None:
        return min(default, available)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise FlowError(f"{what} must be a positive integer, got {value!r}")
    if value > available:
        raise FlowError(f"{what}={value} but only {available} sequences are available")
    return value
