"""IMDB sentiment (binary, last-step readout, BCE) from files the user has.

Two sources, both mapped to the same token ids (the Keras convention):
0 padding, 1 start of review, 2 out of vocabulary, ``rank + 3`` for the word of
frequency rank ``rank`` (1 = most frequent in the training reviews); ids at or
above ``VOCAB`` become 2.  Each review is ``[1] + words``, then cut to its LAST
``seq_len`` tokens (default 500) or padded with 0 at the FRONT, so the final
step always sees the end of the review.

- ``aclImdb/`` (the Stanford folder: train/{pos,neg}/*.txt, test/{pos,neg}/*.txt):
  lower-cased, ``<br />`` removed, words are runs of ``[a-z0-9']``; ranks counted
  on the training reviews only, ties broken alphabetically.
- Keras ``imdb.npz`` (object arrays x_train, y_train, x_test, y_test of word
  ranks): the ranks are already by frequency.  This file format is a pickled
  numpy object array, so it is loaded with ``allow_pickle=True``: only load
  files you trust.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from .._errors import FlowError
from .._fixed import FixedFormat
from ._data import Split, TaskData, check_size, pick

VOCAB = 10_000
PAD, START, OOV, INDEX_FROM = 0, 1, 2, 3
DEFAULT_LEN = 500
IMDB_NPZ = "imdb.npz"
ACL = "aclImdb"
_WORD = re.compile(r"[a-z0-9']+")


def tokenize(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("<br />", " "))


def _read_reviews(folder: Path, part: str) -> tuple[list[list[str]], list[int]]:
    texts, labels = [], []
    for label, sub in ((0, "neg"), (1, "pos")):
        d = folder / part / sub
        if not d.is_dir():
            raise FlowError(f"imdb: missing folder {d}; expected {_expected(folder.parent)}")
        for p in sorted(d.glob("*.txt")):
            texts.append(tokenize(p.read_text(encoding="utf-8", errors="replace")))
            labels.append(label)
    return texts, labels


def word_ranks(reviews: list[list[str]]) -> dict[str, int]:
    """Word -> 1-based frequency rank (ties alphabetical)."""
    counts = Counter(w for r in reviews for w in r)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {w: i + 1 for i, (w, _) in enumerate(ordered)}


def encode(ranks: list[list[int]], seq_len: int, vocab: int = VOCAB) -> np.ndarray:
    """Rank lists to an int32 ``(N, seq_len)`` id matrix (start token, OOV, front pad)."""
    out = np.zeros((len(ranks), seq_len), dtype=np.int32)
    for i, r in enumerate(ranks):
        ids = np.asarray([START] + [int(w) + INDEX_FROM for w in r], dtype=np.int64)
        ids[ids >= vocab] = OOV
        ids = ids[-seq_len:]
        out[i, seq_len - len(ids):] = ids
    return out


def _expected(root: Path) -> str:
    return (f"{root / ACL}/{{train,test}}/{{pos,neg}}/*.txt (the aclImdb folder) "
            f"or {root / IMDB_NPZ}")


def _from_acl(folder: Path, seq_len: int) -> dict[str, np.ndarray]:
    train, y_train = _read_reviews(folder, "train")
    test, y_test = _read_reviews(folder, "test")
    rank = word_ranks(train)
    unknown = VOCAB  # any id >= VOCAB maps to OOV
    to_ranks = [[rank.get(w, unknown) for w in r] for r in train]
    te_ranks = [[rank.get(w, unknown) for w in r] for r in test]
    return {"x_train": encode(to_ranks, seq_len), "y_train": np.asarray(y_train),
            "x_test": encode(te_ranks, seq_len), "y_test": np.asarray(y_test)}


def _from_npz(path: Path, seq_len: int) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=True) as f:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in f.files]
            if missing:
                raise FlowError(f"{path}: missing arrays {missing}; expected "
                                "x_train, y_train, x_test, y_test")
            raw = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except FlowError:
        raise
    except Exception as exc:  # zip, pickle and format errors all mean "bad file"
        raise FlowError(f"{path}: unreadable or truncated ({exc})") from None
    out = {}
    for part in ("train", "test"):
        xs, ys = raw[f"x_{part}"], np.asarray(raw[f"y_{part}"]).reshape(-1)
        if len(xs) != len(ys):
            raise FlowError(f"{path}: x_{part} has {len(xs)} reviews for {len(ys)} labels")
        try:
            ranks = [[int(w) for w in r] for r in xs]
        except (TypeError, ValueError):
            raise FlowError(f"{path}: x_{part} must hold lists of word ranks") from None
        if any(w < 0 for r in ranks for w in r):
            raise FlowError(f"{path}: x_{part} holds negative word ranks")
        if ys.dtype.kind not in "iub" or (ys.size and (ys.min() < 0 or ys.max() > 1)):
            raise FlowError(f"{path}: y_{part} must hold labels 0 or 1")
        out[f"x_{part}"] = encode(ranks, seq_len)
        out[f"y_{part}"] = ys
    return out


def read_imdb(data_dir: str | os.PathLike[str] | None, seq_len: int) -> dict[str, np.ndarray]:
    if data_dir is None:
        raise FlowError("imdb: needs a data folder (--data-dir) holding the aclImdb folder "
                        "or imdb.npz")
    root = Path(data_dir)
    if root.is_file():
        return _from_npz(root, seq_len)
    if (root / "train").is_dir() and (root / "test").is_dir():
        return _from_acl(root, seq_len)
    if (root / ACL).is_dir():
        return _from_acl(root / ACL, seq_len)
    if (root / IMDB_NPZ).is_file():
        return _from_npz(root / IMDB_NPZ, seq_len)
    raise FlowError(f"imdb: found no data in {root}; expected {_expected(root)}")


def load_imdb_task(
    *, data_dir: str | None, seq_len: int | None, seed: int, train_size: int | None,
    val_size: int | None, test_size: int | None,
) -> TaskData:
    T = DEFAULT_LEN if seq_len is None else seq_len
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise FlowError(f"imdb: seq_len must be a positive integer, got {seq_len!r}")
    arrays = read_imdb(data_dir, T)
    rng = np.random.default_rng(seed)
    n = len(arrays["x_train"])
    val = check_size(val_size, 2500, n - 1, "val_size")
    train = check_size(train_size, n - val, n - val, "train_size")
    i_val, i_train = pick(rng, n, [val, train])
    test = check_size(test_size, len(arrays["x_test"]), len(arrays["x_test"]), "test_size")
    (i_test,) = pick(rng, len(arrays["x_test"]), [test])

    def make(ids: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ids.astype(np.int64), lab.astype(np.int64)

    splits = {
        "train": Split(x=arrays["x_train"][i_train], y=arrays["y_train"][i_train], make=make),
        "val": Split(x=arrays["x_train"][i_val], y=arrays["y_train"][i_val], make=make),
        "test": Split(x=arrays["x_test"][i_test], y=arrays["y_test"][i_test], make=make),
    }
    return TaskData(
        name="imdb", readout="last", loss="bce", input_dim=1, outputs=1,
        input_format=FixedFormat(width=8, frac=6, signed=True), vocab=VOCAB, seq_len=T,
        splits=splits, meta={"source": str(data_dir), "pad": PAD, "start": START, "oov": OOV},
    )
