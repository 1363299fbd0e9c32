"""The copy task (synthetic): remember 10 symbols across a long stretch of blanks.

Alphabet: 0 blank, 1..8 data, 9 marker.  For total length T:
inputs  = [10 symbols in 1..8, T-20 blanks, marker 9, 9 blanks]
targets = [T-10 blanks, the 10 symbols]
so the first symbol is due at the marker step.  Inputs are one-hot (10-way),
targets are 9 classes (0 blank, 1..8 data).  A memoryless model that predicts
blanks until the marker and then a uniform guess over 1..8 reaches a mean
cross-entropy of 10*ln(8)/T per step; "solved" means far below that.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import FlowError
from .._fixed import FixedFormat
from ._data import Split, TaskData, check_size

SYMBOLS = 10          #: data symbols to remember
ALPHABET = 10         #: 0 blank, 1..8 data, 9 marker
MARKER = 9
CLASSES = 9           #: targets: 0 blank, 1..8 data
MIN_LEN = 2 * SYMBOLS
DEFAULTS = {"train": 64_000, "val": 2_000, "test": 2_000}


def memoryless_ce(seq_len: int) -> float:
    """Mean per-step cross-entropy of the best model that remembers nothing."""
    return SYMBOLS * math.log(8) / seq_len


def copy_tokens(symbols: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Input tokens and targets, both int64 ``(B, T)``, for int8 ``symbols (B, 10)``."""
    b = symbols.shape[0]
    s = symbols.astype(np.int64)
    tokens = np.zeros((b, seq_len), dtype=np.int64)
    tokens[:, :SYMBOLS] = s
    tokens[:, seq_len - SYMBOLS] = MARKER
    targets = np.zeros((b, seq_len), dtype=np.int64)
    targets[:, seq_len - SYMBOLS:] = s
    return tokens, targets


def load_copy(
    *, seq_len: int | None, seed: int, train_size: int | None, val_size: int | None,
    test_size: int | None,
) -> TaskData:
    T = 1000 if seq_len is None else seq_len
    if not isinstance(T, int) or isinstance(T, bool) or T < MIN_LEN:
        raise FlowError(f"copy: seq_len must be an integer >= {MIN_LEN}, got {seq_len!r}")
    sizes = {
        "train": check_size(train_size, DEFAULTS["train"], 1 << 24, "train_size"),
        "val": check_size(val_size, DEFAULTS["val"], 1 << 24, "val_size"),
        "test": check_size(test_size, DEFAULTS["test"], 1 << 24, "test_size"),
    }
    eye = np.eye(ALPHABET, dtype=np.float32)

    def make(sym: np.ndarray, _y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tokens, targets = copy_tokens(sym, T)
        return eye[tokens], targets

    # One independent stream per split: the val/test sets do not change when the
    # training set size does.
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    splits = {}
    for (name, size), ss in zip(sizes.items(), streams, strict=True):
        sym = np.random.default_rng(ss).integers(1, 9, size=(size, SYMBOLS), dtype=np.int8)
        splits[name] = Split(x=sym, y=np.zeros(size, dtype=np.int8), make=make)
    return TaskData(
        name="copy", readout="every", loss="ce", input_dim=ALPHABET, outputs=CLASSES,
        input_format=FixedFormat(width=1, frac=0, signed=False), vocab=None, seq_len=T,
        splits=splits, meta={"memoryless_ce": memoryless_ce(T), "recall_steps": SYMBOLS},
    )
