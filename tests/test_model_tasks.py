"""model.tasks: layouts, determinism, splits, and the file loaders on tiny files."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from model import FlowError, quantize
from model.tasks import TASK_NAMES, copy_tokens, load_task, memoryless_ce, permutation, read_idx


def _all(data, split, bs=7, **kw):
    xs, ys = zip(*data.batches(split, bs, shuffle=kw.pop("shuffle", False), **kw), strict=True)
    return np.concatenate(xs), np.concatenate(ys)


# ------------------------------------------------------------------ copy


def test_copy_layout_exact() -> None:
    T = 37
    data = load_task("copy", seq_len=T, train_size=50, val_size=9, test_size=11, seed=3)
    assert (data.readout, data.loss, data.input_dim, data.outputs, data.vocab) == (
        "every", "ce", 10, 9, None)
    assert (data.input_format.width, data.input_format.frac, data.input_format.signed) == (
        1, 0, False)
    assert {s: data.size(s) for s in ("train", "val", "test")} == {
        "train": 50, "val": 9, "test": 11}
    x, y = _all(data, "train")
    assert x.shape == (50, T, 10) and x.dtype == np.float32
    assert y.shape == (50, T) and y.dtype == np.int64
    # one-hot: exactly one 1.0 per step, nothing else
    assert np.array_equal(x.sum(-1), np.ones((50, T), dtype=np.float32))
    assert set(np.unique(x).tolist()) == {0.0, 1.0}
    tok = x.argmax(-1)
    sym = tok[:, :10]
    assert sym.min() >= 1 and sym.max() <= 8
    assert np.all(tok[:, 10:T - 10] == 0)
    assert np.all(tok[:, T - 10] == 9)
    assert np.all(tok[:, T - 9:] == 0)
    assert np.all(y[:, :T - 10] == 0)
    assert np.array_equal(y[:, T - 10:], sym)
    # inputs are exactly representable in the 1-bit unsigned input format
    assert np.array_equal(quantize(x, data.input_format), x.astype(np.int64))


def test_copy_tokens_minimum_length() -> None:
    sym = np.arange(1, 11, dtype=np.int8).reshape(1, 10) % 8 + 1
    tok, tgt = copy_tokens(sym, 20)
    assert tok.tolist() == [sym[0].tolist() + [9] + [0] * 9]
    assert tgt.tolist() == [[0] * 10 + sym[0].tolist()]
    with pytest.raises(FlowError, match="seq_len"):
        load_task("copy", seq_len=19)


def test_copy_memoryless_baseline_formula() -> None:
    assert memoryless_ce(1000) == pytest.approx(10 * math.log(8) / 1000)
    assert load_task("copy", seq_len=200, train_size=1).meta["memoryless_ce"] == (
        memoryless_ce(200))


def test_copy_deterministic_by_seed() -> None:
    a = load_task("copy", seq_len=25, train_size=40, seed=5)
    b = load_task("copy", seq_len=25, train_size=40, seed=5)
    c = load_task("copy", seq_len=25, train_size=40, seed=6)
    for split in ("train", "val", "test"):
        assert np.array_equal(_all(a, split)[1], _all(b, split)[1])
    assert not np.array_equal(_all(a, "train")[1], _all(c, "train")[1])
    # shuffled batches: same seed same order, other seed other order, same multiset
    sa = [y for _, y in a.batches("train", 8, shuffle=True, seed=1)]
    sb = [y for _, y in b.batches("train", 8, shuffle=True, seed=1)]
    sc = [y for _, y in b.batches("train", 8, shuffle=True, seed=2)]
    assert all(np.array_equal(p, q) for p, q in zip(sa, sb, strict=True))
    assert not np.array_equal(np.concatenate(sa), np.concatenate(sc))
    key = lambda ys: sorted(map(tuple, np.concatenate(ys).tolist()))  # noqa: E731
    assert key(sa) == key(sc) == sorted(map(tuple, _all(a, "train")[1].tolist()))
    # last partial batch is included
    assert [len(y) for y in sa] == [8, 8, 8, 8, 8]
    assert [len(y) for _, y in a.batches("train", 16, shuffle=False)] == [16, 16, 8]
    # val/test do not depend on the training set size
    d = load_task("copy", seq_len=25, train_size=3, seed=5)
    assert np.array_equal(_all(a, "val")[1], _all(d, "val")[1])


def test_copy_default_sizes() -> None:
    data = load_task("copy", seq_len=30)
    assert (data.size("train"), data.size("val"), data.size("test")) == (64_000, 2000, 2000)
    assert data.splits["train"].x.dtype == np.int8  # stored compactly


# ------------------------------------------------------------------ digits


@pytest.mark.parametrize("name", ["digits", "pdigits"])
def test_digits_shapes_and_splits(name: str) -> None:
    from sklearn.datasets import load_digits

    data = load_task(name, seed=1)
    assert (data.readout, data.loss, data.input_dim, data.outputs, data.seq_len) == (
        "last", "ce", 1, 10, 64)
    sizes = [data.size(s) for s in ("train", "val", "test")]
    assert sum(sizes) == 1797 and sizes == [1257, 180, 360]
    xs = {s: _all(data, s)[0] for s in ("train", "val", "test")}
    assert xs["train"].shape == (1257, 64, 1) and xs["train"].dtype == np.float32
    _, y = _all(data, "test")
    assert y.shape == (360,) and y.dtype == np.int64 and set(y.tolist()) <= set(range(10))
    for x in xs.values():
        assert x.min() >= 0 and x.max() <= 1
        q = quantize(x, data.input_format)
        assert np.array_equal(q.astype(np.float64) / 16, x.astype(np.float64))  # exact
    # the three splits are disjoint and together are the whole set (as pixel rows)
    ref = load_digits().data / 16
    if name == "pdigits":
        ref = ref[:, permutation(64)]
    rows = np.concatenate([xs[s][:, :, 0] for s in ("train", "val", "test")])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, ref.tolist()))
    # the same seed gives the same split, another seed another one
    again = load_task(name, seed=1)
    assert np.array_equal(_all(again, "val")[0], xs["val"])
    assert not np.array_equal(_all(load_task(name, seed=2), "val")[0], xs["val"])


def test_pdigits_is_a_fixed_permutation_of_digits() -> None:
    plain = load_task("digits", seed=4)
    perm = load_task("pdigits", seed=4)
    order = permutation(64)
    assert sorted(order.tolist()) == list(range(64)) and not np.array_equal(order, np.arange(64))
    xp, yp = _all(plain, "train")
    xq, yq = _all(perm, "train")
    assert np.array_equal(yp, yq)
    assert np.array_equal(xp[:, order], xq)
    assert np.array_equal(perm.meta["permutation"], order)


def test_digits_sizes_capped_and_checked() -> None:
    data = load_task("digits", train_size=100, val_size=20, test_size=30)
    assert [data.size(s) for s in ("train", "val", "test")] == [100, 20, 30]
    with pytest.raises(FlowError, match="train_size=5000"):
        load_task("digits", train_size=5000)
    with pytest.raises(FlowError, match="seq_len is fixed at 64"):
        load_task("digits", seq_len=100)


# ------------------------------------------------------------------ MNIST


def _idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def _fake_mnist(rng: np.random.Generator, n_train: int = 30, n_test: int = 12):
    return {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test, dtype=np.uint8),
    }


_IDX_NAMES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
              "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def _check_mnist(data, arrays, permuted: bool) -> None:
    assert (data.readout, data.loss, data.input_dim, data.outputs, data.seq_len) == (
        "last", "ce", 1, 10, 784)
    assert data.size("test") == len(arrays["x_test"])
    assert data.size("train") + data.size("val") == len(arrays["x_train"])
    order = permutation(784) if permuted else np.arange(784)
    x, y = _all(data, "test")
    px = (x[:, :, 0].astype(np.float64) * 256).round().astype(np.int64)
    assert np.array_equal(px / 256, x[:, :, 0].astype(np.float64))  # exact multiples
    assert np.array_equal(quantize(x, data.input_format)[:, :, 0], px)
    want = {(tuple(r.reshape(-1)[order].tolist()), int(c))
            for r, c in zip(arrays["x_test"], arrays["y_test"], strict=True)}
    got = {(tuple(r.tolist()), int(c)) for r, c in zip(px, y, strict=True)}
    assert got == want


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_loader(tmp_path: Path, gz: bool) -> None:
    arrays = _fake_mnist(np.random.default_rng(0))
    for key, stem in _IDX_NAMES.items():
        raw = _idx_bytes(arrays[key])
        if gz:
            (tmp_path / (stem + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (tmp_path / stem).write_bytes(raw)
    assert np.array_equal(read_idx(tmp_path / (_IDX_NAMES["x_train"] + (".gz" if gz else ""))),
                          arrays["x_train"])
    for permuted in (False, True):
        data = load_task("pmnist" if permuted else "mnist", data_dir=str(tmp_path), val_size=5)
        assert data.size("val") == 5
        _check_mnist(data, arrays, permuted)


def test_mnist_npz_loader(tmp_path: Path) -> None:
    arrays = _fake_mnist(np.random.default_rng(1))
    np.savez(tmp_path / "mnist.npz", **arrays)
    for where in (tmp_path, tmp_path / "mnist.npz"):
        _check_mnist(load_task("mnist", data_dir=str(where)), arrays, False)
    _check_mnist(load_task("pmnist", data_dir=str(tmp_path)), arrays, True)


def test_mnist_missing_and_malformed(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="--data-dir"):
        load_task("mnist")
    with pytest.raises(FlowError) as err:
        load_task("mnist", data_dir=str(tmp_path))
    msg = str(err.value)
    assert str(tmp_path / "mnist.npz") in msg
    for stem in _IDX_NAMES.values():
        assert str(tmp_path / stem) in msg
    arrays = _fake_mnist(np.random.default_rng(2))
    for key, stem in list(_IDX_NAMES.items())[:3]:
        (tmp_path / stem).write_bytes(_idx_bytes(arrays[key]))
    with pytest.raises(FlowError, match="missing .*t10k-labels-idx1-ubyte"):
        load_task("mnist", data_dir=str(tmp_path))
    # a truncated IDX file is named
    raw = _idx_bytes(arrays["y_test"])
    (tmp_path / _IDX_NAMES["y_test"]).write_bytes(raw[:-3])
    with pytest.raises(FlowError, match="t10k-labels-idx1-ubyte: IDX header promises"):
        load_task("mnist", data_dir=str(tmp_path))
    (tmp_path / _IDX_NAMES["y_test"]).write_bytes(b"\x08\x03" + raw[2:])
    with pytest.raises(FlowError, match="bad magic"):
        load_task("mnist", data_dir=str(tmp_path))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "mnist.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(FlowError, match="mnist.npz: unreadable"):
        load_task("mnist", data_dir=str(bad))
    np.savez(bad / "mnist.npz", x_train=arrays["x_train"])
    with pytest.raises(FlowError, match=r"missing arrays \['y_train', 'x_test', 'y_test'\]"):
        load_task("mnist", data_dir=str(bad))
    with pytest.raises(FlowError, match="no such file or folder"):
        load_task("mnist", data_dir=str(tmp_path / "nowhere"))


# ------------------------------------------------------------------ IMDB

_REVIEWS = {
    ("train", "pos"): ["A great great film.<br />Great acting!", "great fun, the best"],
    ("train", "neg"): ["The worst film. Bad bad bad.", "bad acting and a bad plot"],
    ("test", "pos"): ["great plot", "unseenword great"],
    ("test", "neg"): ["bad", "the film is bad " * 300],
}


def _fake_acl(root: Path) -> Path:
    acl = root / "aclImdb"
    for (part, sub), texts in _REVIEWS.items():
        d = acl / part / sub
        d.mkdir(parents=True)
        for i, t in enumerate(texts):
            (d / f"{i}_{7 if sub == 'pos' else 2}.txt").write_text(t)
    return acl


def test_imdb_acl_loader(tmp_path: Path) -> None:
    acl = _fake_acl(tmp_path)
    for where in (tmp_path, acl):
        data = load_task("imdb", data_dir=str(where), seq_len=12, val_size=1)
        assert (data.readout, data.loss, data.outputs, data.vocab, data.seq_len) == (
            "last", "bce", 1, 10_000, 12)
        assert (data.size("train"), data.size("val"), data.size("test")) == (3, 1, 4)
    x, y = _all(data, "test")
    assert x.shape == (4, 12) and x.dtype == np.int64 and y.dtype == np.int64
    # counts in the training reviews: bad 5, great 4, then a, acting, film, the (2 each),
    # then and, best, fun, plot, worst (1 each); ties alphabetical, id = rank + 3,
    # 0 pad, 1 start, 2 unknown
    bad, great, film, the, plot = 1 + 3, 2 + 3, 5 + 3, 6 + 3, 10 + 3
    rows = {tuple(r) for r in x.tolist()}
    assert tuple([0] * 9 + [1, great, plot]) in rows
    assert tuple([0] * 9 + [1, 2, great]) in rows      # unseen word -> OOV
    assert tuple([0] * 10 + [1, bad]) in rows
    long = [the, film, 2, bad] * 3  # 'is' never occurs in training: OOV; last 12 kept
    assert tuple(long) in rows
    assert sorted(y.tolist()) == [0, 0, 1, 1]
    lab = {tuple(r): int(c) for r, c in zip(x.tolist(), y.tolist(), strict=True)}
    assert lab[tuple([0] * 10 + [1, bad])] == 0 and lab[tuple([0] * 9 + [1, great, plot])] == 1


def test_imdb_npz_loader(tmp_path: Path) -> None:
    def obj(lists):
        arr = np.empty(len(lists), dtype=object)
        arr[:] = [list(v) for v in lists]
        return arr

    x_train = obj([[1, 2, 3], [9996, 9997, 5], [4] * 20, [7]])
    x_test = obj([[2], list(range(1, 30))])
    np.savez(tmp_path / "imdb.npz", x_train=x_train, y_train=np.array([1, 0, 1, 0]),
             x_test=x_test, y_test=np.array([0, 1]))
    data = load_task("imdb", data_dir=str(tmp_path), seq_len=6, val_size=1)
    x, y = _all(data, "test")
    rows = {tuple(r): c for r, c in zip(x.tolist(), y.tolist(), strict=True)}
    assert rows == {(0, 0, 0, 0, 1, 5): 0, (27, 28, 29, 30, 31, 32): 1}
    xt, _ = _all(data, "train")
    xv, _ = _all(data, "val")
    got = {tuple(r) for r in np.concatenate([xt, xv]).tolist()}
    assert got == {(0, 0, 1, 4, 5, 6), (0, 0, 1, 9999, 2, 8), (7,) * 6, (0, 0, 0, 0, 1, 10)}
    assert load_task("imdb", data_dir=str(tmp_path / "imdb.npz"), seq_len=6).size("test") == 2


def test_imdb_missing_and_malformed(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="--data-dir"):
        load_task("imdb")
    with pytest.raises(FlowError) as err:
        load_task("imdb", data_dir=str(tmp_path))
    assert str(tmp_path / "aclImdb") in str(err.value)
    assert str(tmp_path / "imdb.npz") in str(err.value)
    (tmp_path / "aclImdb" / "train" / "pos").mkdir(parents=True)
    (tmp_path / "aclImdb" / "test").mkdir(parents=True)
    with pytest.raises(FlowError, match=r"missing folder .*aclImdb/train/neg"):
        load_task("imdb", data_dir=str(tmp_path))
    (tmp_path / "imdb.npz").write_bytes(b"garbage")
    with pytest.raises(FlowError, match="imdb.npz: unreadable"):
        load_task("imdb", data_dir=str(tmp_path / "imdb.npz"))


# ------------------------------------------------------------------ generic npz


def test_npz_features_and_tokens(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    f = tmp_path / "d.npz"
    np.savez(f, x_train=rng.normal(size=(40, 5, 3)).astype(np.float32),
             y_train=rng.integers(0, 4, size=40), x_test=rng.normal(size=(6, 5, 3)),
             y_test=rng.integers(0, 4, size=6))
    data = load_task("npz", data_dir=str(f), seed=2)
    assert (data.readout, data.input_dim, data.seq_len, data.vocab) == ("last", 3, 5, None)
    assert data.outputs == 4
    assert (data.size("train"), data.size("val"), data.size("test")) == (36, 4, 6)
    fmt = data.input_format
    assert fmt.signed and fmt.width == 8
    allx = np.concatenate([_all(data, s)[0] for s in ("train", "val", "test")])
    peak = np.abs(allx).max()
    assert peak * 2.0**fmt.frac <= 127 < peak * 2.0 ** (fmt.frac + 1)
    # per-step labels and token ids
    g = tmp_path / "t.npz"
    np.savez(g, x_train=rng.integers(0, 50, size=(10, 7)), y_train=rng.integers(0, 3, (10, 7)),
             x_test=rng.integers(0, 50, size=(4, 7)), y_test=rng.integers(0, 3, (4, 7)),
             x_val=rng.integers(0, 50, size=(2, 7)), y_val=rng.integers(0, 3, (2, 7)))
    tok = load_task("npz", data_dir=str(g))
    assert tok.readout == "every" and tok.vocab is not None and tok.input_dim == 1
    x, y = _all(tok, "val")
    with np.load(g) as z:
        assert np.array_equal(x, z["x_val"]) and np.array_equal(y, z["y_val"])
        assert tok.vocab == max(int(z[k].max()) for k in ("x_train", "x_val", "x_test")) + 1
    assert x.dtype == np.int64 and y.shape == (2, 7)


def test_npz_errors(tmp_path: Path) -> None:
    with pytest.raises(FlowError, match="no such file .*missing.npz"):
        load_task("npz", data_dir=str(tmp_path / "missing.npz"))
    f = tmp_path / "d.npz"
    np.savez(f, x_train=np.zeros((3, 2)), y_train=np.zeros(3, dtype=int))
    with pytest.raises(FlowError, match=r"missing arrays \['x_test', 'y_test'\]"):
        load_task("npz", data_dir=str(f))
    np.savez(f, x_train=np.zeros((3, 2)), y_train=np.zeros(3), x_test=np.zeros((1, 2)),
             y_test=np.zeros(1, dtype=int))
    with pytest.raises(FlowError, match="y_train must hold integer classes"):
        load_task("npz", data_dir=str(f))


def test_unknown_task_and_bad_split() -> None:
    assert TASK_NAMES == ("copy", "digits", "pdigits", "mnist", "pmnist", "imdb", "npz")
    with pytest.raises(FlowError, match="unknown task 'cifar'"):
        load_task("cifar")
    data = load_task("copy", seq_len=20, train_size=2)
    with pytest.raises(FlowError, match="split must be one of"):
        data.size("dev")
    with pytest.raises(FlowError, match="batch_size"):
        next(data.batches("train", 0, shuffle=False))
