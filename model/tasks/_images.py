"""Pixel-by-pixel image classification: sequential / permuted digits and MNIST.

One pixel per step, readout at the last step.  Pixels are stored as uint8 and
scaled per batch; every scaled value is a multiple of the input format's lsb,
so quantizing the inputs is exact:
- digits (scikit-learn's bundled 8x8 set, levels 0..16): x = pixel/16,
  format unsigned 5 bits with 4 fraction bits.
- MNIST (28x28, levels 0..255): x = pixel/256, format unsigned 8 bits with 8
  fraction bits (so 255 reads 0.996, not 1.0; the one-lsb difference keeps
  the inputs exact in hardware).
The permuted variants reorder the pixels of every image by one fixed random
permutation drawn from ``PERMUTATION_SEED`` (the same for every run and seed).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from .._errors import FlowError
from .._fixed import FixedFormat
from ._data import Split, TaskData, check_size, pick

PERMUTATION_SEED = 0

MNIST_IDX = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
MNIST_NPZ = "mnist.npz"


def permutation(length: int) -> np.ndarray:
    """The fixed pixel order of the permuted tasks."""
    return np.random.default_rng(PERMUTATION_SEED).permutation(length)


def _check_seq_len(name: str, seq_len: int | None, native: int) -> int:
    if seq_len is not None and seq_len != native:
        raise FlowError(f"{name}: seq_len is fixed at {native} (one pixel per step), "
                        f"got {seq_len}")
    return native


def _image_task(
    *, name: str, x_pool: np.ndarray, y_pool: np.ndarray, x_test: np.ndarray | None,
    y_test: np.ndarray | None, scale: float, fmt: FixedFormat, permuted: bool, seed: int,
    sizes: dict[str, int | None], defaults: dict[str, int], meta: dict,
) -> TaskData:
    """Split the pool (and the separate test set when given) and wrap it."""
    steps = x_pool.shape[1]
    rng = np.random.default_rng(seed)
    if x_test is None or y_test is None:
        n = len(x_pool)
        test = check_size(sizes["test"], defaults["test"], n - 2, "test_size")
        val = check_size(sizes["val"], defaults["val"], n - test - 1, "val_size")
        train = check_size(sizes["train"], n - test - val, n - test - val, "train_size")
        i_test, i_val, i_train = pick(rng, n, [test, val, train])
        parts = {"train": (x_pool[i_train], y_pool[i_train]),
                 "val": (x_pool[i_val], y_pool[i_val]),
                 "test": (x_pool[i_test], y_pool[i_test])}
    else:
        n = len(x_pool)
        val = check_size(sizes["val"], defaults["val"], n - 1, "val_size")
        train = check_size(sizes["train"], n - val, n - val, "train_size")
        i_val, i_train = pick(rng, n, [val, train])
        test = check_size(sizes["test"], len(x_test), len(x_test), "test_size")
        (i_test,) = pick(rng, len(x_test), [test])
        parts = {"train": (x_pool[i_train], y_pool[i_train]),
                 "val": (x_pool[i_val], y_pool[i_val]),
                 "test": (x_test[i_test], y_test[i_test])}
    order = permutation(steps) if permuted else None
    if order is not None:
        meta = {**meta, "permutation": order}

    def make(px: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if order is not None:
            px = px[:, order]
        x = (px.astype(np.float32) * np.float32(scale))[:, :, None]
        return x, lab.astype(np.int64)

    splits = {k: Split(x=x, y=y, make=make) for k, (x, y) in parts.items()}
    return TaskData(
        name=name, readout="last", loss="ce", input_dim=1, outputs=10, input_format=fmt,
        vocab=None, seq_len=steps, splits=splits, meta=meta,
    )


def load_digits_task(
    *, permuted: bool, seq_len: int | None, seed: int, train_size: int | None,
    val_size: int | None, test_size: int | None,
) -> TaskData:
    from sklearn.datasets import load_digits

    name = "pdigits" if permuted else "digits"
    _check_seq_len(name, seq_len, 64)
    bunch = load_digits()
    pixels = np.asarray(bunch.data).astype(np.uint8)           # levels 0..16
    labels = np.asarray(bunch.target).astype(np.uint8)
    return _image_task(
        name=name, x_pool=pixels, y_pool=labels, x_test=None, y_test=None,
        scale=1 / 16, fmt=FixedFormat(width=5, frac=4, signed=False), permuted=permuted,
        seed=seed, sizes={"train": train_size, "val": val_size, "test": test_size},
        defaults={"val": 180, "test": 360}, meta={"source": "sklearn.datasets.load_digits"},
    )


# ------------------------------------------------------------------ MNIST files


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (optionally gzip-compressed)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise FlowError(f"{path}: unreadable ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise FlowError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise FlowError(f"{path}: IDX element type 0x{raw[2]:02x}, expected 0x08 (unsigned byte)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim < 1 or len(raw) < header:
        raise FlowError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(dims))
    if len(raw) - header != count:
        raise FlowError(f"{path}: IDX header promises {count} bytes of data for shape {dims}, "
                        f"found {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _expected_mnist(folder: Path) -> str:
    return (f"{folder / MNIST_NPZ} or the IDX files "
            f"{', '.join(MNIST_IDX.values())} (optionally .gz) in {folder}")


def _check_mnist_arrays(arrays: dict[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    out = {}
    for key in ("x_train", "x_test"):
        x = np.asarray(arrays[key])
        if x.ndim == 3:
            x = x.reshape(len(x), -1)
        if x.ndim != 2 or x.shape[1] != 784:
            raise FlowError(f"{where}: {key} must hold 28x28 images, got shape {x.shape}")
        if x.dtype.kind not in "iu" or (x.size and (x.min() < 0 or x.max() > 255)):
            raise FlowError(f"{where}: {key} must hold integer pixels 0..255")
        out[key] = x.astype(np.uint8)
    for key in ("y_train", "y_test"):
        y = np.asarray(arrays[key]).reshape(-1)
        if y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() > 9)):
            raise FlowError(f"{where}: {key} must hold integer labels 0..9")
        xkey = "x" + key[1:]
        if len(y) != len(out[xkey]):
            raise FlowError(f"{where}: {key} has {len(y)} labels for {len(out[xkey])} images")
        out[key] = y.astype(np.uint8)
    return out


def read_mnist(data_dir: str | os.PathLike[str] | None) -> dict[str, np.ndarray]:
    """MNIST from ``data_dir``: a Keras-style mnist.npz (the file itself or inside the
    folder) or the four IDX files.  Raises FlowError naming what it looked for."""
    if data_dir is None:
        raise FlowError("mnist: needs a data folder (--data-dir) holding mnist.npz or the "
                        f"IDX files {', '.join(MNIST_IDX.values())}")
    root = Path(data_dir)
    npz = root if root.is_file() else root / MNIST_NPZ
    if npz.is_file():
        try:
            with np.load(npz, allow_pickle=False) as f:
                missing = [k for k in MNIST_IDX if k not in f.files]
                if missing:
                    raise FlowError(f"{npz}: missing arrays {missing}; expected "
                                    "x_train, y_train, x_test, y_test")
                arrays = {k: f[k] for k in MNIST_IDX}
        except FlowError:
            raise
        except Exception as exc:  # zip, pickle and format errors all mean "bad file"
            raise FlowError(f"{npz}: unreadable or truncated ({exc})") from None
        return _check_mnist_arrays(arrays, str(npz))
    if not root.is_dir():
        raise FlowError(f"mnist: no such file or folder {root}; expected {_expected_mnist(root)}")
    found = {k: _find_idx(root, stem) for k, stem in MNIST_IDX.items()}
    missing = [MNIST_IDX[k] for k, p in found.items() if p is None]
    if missing:
        raise FlowError(f"mnist: missing {', '.join(str(root / m) for m in missing)}; "
                        f"expected {_expected_mnist(root)}")
    arrays = {k: read_idx(p) for k, p in found.items() if p is not None}
    return _check_mnist_arrays(arrays, str(root))


def load_mnist_task(
    *, permuted: bool, data_dir: str | None, seq_len: int | None, seed: int,
    train_size: int | None, val_size: int | None, test_size: int | None,
) -> TaskData:
    name = "pmnist" if permuted else "mnist"
    _check_seq_len(name, seq_len, 784)
    arrays = read_mnist(data_dir)
    return _image_task(
        name=name, x_pool=arrays["x_train"], y_pool=arrays["y_train"],
        x_test=arrays["x_test"], y_test=arrays["y_test"], scale=1 / 256,
        fmt=FixedFormat(width=8, frac=8, signed=False), permuted=permuted, seed=seed,
        sizes={"train": train_size, "val": val_size, "test": test_size},
        defaults={"val": 5000}, meta={"source": str(data_dir)},
    )
