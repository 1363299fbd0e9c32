"""Training tasks as integer-friendly numpy batches (no torch).

``load_task(name, ...)`` returns a :class:`TaskData`: the network's shape
(input_dim, outputs, readout, loss), the input fixed-point format, and
deterministic batches for the train / val / test splits.  Tasks: the synthetic
copy task, scikit-learn's bundled digits (sequential and permuted), MNIST and
permuted MNIST and IMDB from the user's files, and any .npz of the user's.
"""

from ._copy import copy_tokens, memoryless_ce
from ._data import SPLITS, TaskData
from ._images import permutation, read_idx
from ._load import TASK_NAMES, load_task

__all__ = [
    "SPLITS",
    "TASK_NAMES",
    "TaskData",
    "copy_tokens",
    "load_task",
    "memoryless_ce",
    "permutation",
    "read_idx",
]
