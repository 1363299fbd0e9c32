"""``load_task``: one entry point for every task by name."""

from __future__ import annotations

from .._errors import FlowError
from ._copy import load_copy
from ._data import TaskData
from ._images import load_digits_task, load_mnist_task
from ._imdb import load_imdb_task
from ._npz import load_npz_task

TASK_NAMES: tuple[str, ...] = ("copy", "digits", "pdigits", "mnist", "pmnist", "imdb", "npz")


def load_task(
    name: str, *, seq_len: int | None = None, data_dir: str | None = None, seed: int = 0,
    train_size: int | None = None, val_size: int | None = None, test_size: int | None = None,
) -> TaskData:
    """Load task ``name`` (one of :data:`TASK_NAMES`).

    ``data_dir``: the folder holding the files of mnist / pmnist / imdb, or the
    .npz file itself for ``npz``.  ``seed`` fixes the synthetic data and the
    splits.  The ``*_size`` arguments cap each split (defaults: the task's own).
    Raises :class:`model.FlowError` for an unknown name, bad sizes or missing data.
    """
    sizes = {"seq_len": seq_len, "seed": seed, "train_size": train_size,
             "val_size": val_size, "test_size": test_size}
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise FlowError(f"seed must be a non-negative integer, got {seed!r}")
    if name == "copy":
        return load_copy(**sizes)
    if name in ("digits", "pdigits"):
        return load_digits_task(permuted=name == "pdigits", **sizes)
    if name in ("mnist", "pmnist"):
        return load_mnist_task(permuted=name == "pmnist", data_dir=data_dir, **sizes)
    if name == "imdb":
        return load_imdb_task(data_dir=data_dir, **sizes)
    if name == "npz":
        return load_npz_task(data_dir=data_dir, **sizes)
    raise FlowError(f"unknown task {name!r}; choose one of {', '.join(TASK_NAMES)}")
