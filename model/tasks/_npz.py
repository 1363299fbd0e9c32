"""A user's own data set in one .npz file.

Arrays: ``x_train``, ``y_train``, ``x_test``, ``y_test`` and optionally ``x_val``,
``y_val`` (otherwise 10 % of the training rows, drawn by seed, become validation).
- ``x`` float ``(N, T, D)`` or ``(N, T)`` (then D = 1): real features; the input
  format is 8 bits, signed when any value is negative, with as many fraction bits
  as the largest magnitude allows (at most 16).
- ``x`` integer ``(N, T)``: token ids ``0..vocab-1``, vocab = largest id + 1.
- ``y`` integer ``(N,)``: one class per sequence, readout at the last step;
  ``(N, T)``: one class per step, readout every step.  Classes are ``0..C-1``
  and the network has C outputs, trained with cross-entropy.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .._errors import FlowError
from .._fixed import FixedFormat
from ._data import Split, TaskData, check_size, pick

INPUT_BITS = 8
MAX_FRAC = 16


def input_format_for(x: np.ndarray) -> FixedFormat:
    """8-bit format with the most fraction bits that still holds max |x|."""
    signed = bool(x.size and x.min() < 0)
    top = (1 << (INPUT_BITS - 1)) - 1 if signed else (1 << INPUT_BITS) - 1
    peak = float(np.abs(x).max()) if x.size else 0.0
    if peak == 0.0:
        frac = MAX_FRAC
    else:
        frac = min(MAX_FRAC, math.floor(math.log2(top / peak)))
        while frac > -32 and peak * 2.0**frac > top:
            frac -= 1
    return FixedFormat(width=INPUT_BITS, frac=frac, signed=signed)


def _load(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise FlowError(f"npz: no such file {path}; expected one .npz holding x_train, "
                        "y_train, x_test, y_test (optionally x_val, y_val)")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as exc:  # zip and format errors all mean "bad file"
        raise FlowError(f"{path}: unreadable or truncated ({exc})") from None
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise FlowError(f"{path}: missing arrays {missing}; expected x_train, y_train, "
                        "x_test, y_test (optionally x_val, y_val)")
    if ("x_val" in arrays) != ("y_val" in arrays):
        raise FlowError(f"{path}: x_val and y_val must come together")
    return arrays


def load_npz_task(
    *, data_dir: str | None, seq_len: int | None, seed: int, train_size: int | None,
    val_size: int | None, test_size: int | None,
) -> TaskData:
    if data_dir is None:
        raise FlowError("npz: needs the path of a .npz file (--data-dir)")
    path = Path(data_dir)
    arrays = _load(path)
    parts = [p for p in ("train", "val", "test") if f"x_{p}" in arrays]
    xs = {p: np.asarray(arrays[f"x_{p}"]) for p in parts}
    ys = {p: np.asarray(arrays[f"y_{p}"]) for p in parts}
    tokens = xs["train"].dtype.kind in "iu"
    for p in parts:
        x, y = xs[p], ys[p]
        if x.dtype.kind not in ("iu" if tokens else "f"):
            raise FlowError(f"{path}: x_{p} has dtype {x.dtype} but x_train has "
                            f"{xs['train'].dtype}")
        if tokens and x.ndim != 2:
            raise FlowError(f"{path}: x_{p} holds token ids and must be (N, T), got {x.shape}")
        if not tokens and x.ndim not in (2, 3):
            raise FlowError(f"{path}: x_{p} must be (N, T) or (N, T, D), got {x.shape}")
        if not tokens and x.ndim == 2:
            xs[p] = x = x[:, :, None]
        if x.shape[1:] != xs["train"].shape[1:]:
            raise FlowError(f"{path}: x_{p} has shape {x.shape}, x_train {xs['train'].shape}")
        if not tokens and not np.all(np.isfinite(x)):
            raise FlowError(f"{path}: x_{p} holds NaN or infinite values")
        if y.dtype.kind not in "iu":
            raise FlowError(f"{path}: y_{p} must hold integer classes, got dtype {y.dtype}")
        if y.shape not in ((len(x),), (len(x), x.shape[1])):
            raise FlowError(f"{path}: y_{p} must be (N,) or (N, T) with N={len(x)}, "
                            f"T={x.shape[1]}, got {y.shape}")
        if y.ndim != ys["train"].ndim:
            raise FlowError(f"{path}: y_{p} and y_train disagree on per-step labels")
        if y.size and y.min() < 0:
            raise FlowError(f"{path}: y_{p} holds negative classes")
        if tokens and x.size and x.min() < 0:
            raise FlowError(f"{path}: x_{p} holds negative token ids")
    T = xs["train"].shape[1]
    if seq_len is not None and seq_len != T:
        raise FlowError(f"npz: seq_len is fixed by the file at {T}, got {seq_len}")
    classes = int(max(int(y.max()) for y in ys.values() if y.size)) + 1

    rng = np.random.default_rng(seed)
    n = len(xs["train"])
    if "val" not in parts:
        val = check_size(val_size, max(1, n // 10), n - 1, "val_size")
        train = check_size(train_size, n - val, n - val, "train_size")
        i_val, i_train = pick(rng, n, [val, train])
        xs["val"], ys["val"] = xs["train"][i_val], ys["train"][i_val]
        xs["train"], ys["train"] = xs["train"][i_train], ys["train"][i_train]
    else:
        for p, size in (("train", train_size), ("val", val_size)):
            k = check_size(size, len(xs[p]), len(xs[p]), f"{p}_size")
            (idx,) = pick(rng, len(xs[p]), [k])
            xs[p], ys[p] = xs[p][idx], ys[p][idx]
    k = check_size(test_size, len(xs["test"]), len(xs["test"]), "test_size")
    (idx,) = pick(rng, len(xs["test"]), [k])
    xs["test"], ys["test"] = xs["test"][idx], ys["test"][idx]

    def make(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x.astype(np.int64) if tokens else x.astype(np.float32)), y.astype(np.int64)

    all_x = np.concatenate([xs[p].reshape(-1) for p in ("train", "val", "test")])
    return TaskData(
        name="npz", readout="every" if ys["train"].ndim == 2 else "last", loss="ce",
        input_dim=1 if tokens else int(xs["train"].shape[2]), outputs=classes,
        input_format=(FixedFormat(width=8, frac=6, signed=True) if tokens
                      else input_format_for(all_x)),
        vocab=int(all_x.max()) + 1 if tokens else None, seq_len=T,
        splits={p: Split(x=xs[p], y=ys[p], make=make) for p in ("train", "val", "test")},
        meta={"source": str(path)},
    )
