"""The deployment IR on disk: round trip, atomic save, and one test per validation
rule, each asserting that the message names the offending field (docs/ir.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import model
from model import (
    FORMAT_VERSION,
    DeploymentIR,
    FixedFormat,
    FlowError,
    IRError,
    datapath_widths,
    ir_to_json,
    load_ir,
    random_ir,
    save_ir,
)

ARRAYS = ("sign", "input_weight", "state_bias", "output_weight", "output_bias")


def _ir(**kw: Any) -> DeploymentIR:
    args: dict[str, Any] = {"hidden": 16, "block_size": 4, "input_dim": 3, "outputs": 2,
                            "seed": 7}
    args.update(kw)
    return random_ir(**args)


def _same(a: DeploymentIR, b: DeploymentIR) -> None:
    assert ir_to_json(a) == ir_to_json(b)
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype == np.int64 and np.array_equal(x, y), name


def _folder(tmp_path: Path, ir: DeploymentIR | None = None) -> Path:
    return save_ir(ir or _ir(), tmp_path / "ir")


def _edit_json(folder: Path, change) -> None:
    doc = json.loads((folder / "model.json").read_text())
    change(doc)
    (folder / "model.json").write_text(json.dumps(doc))


def _edit_npz(folder: Path, **arrays: Any) -> None:
    with np.load(folder / "weights.npz") as f:
        current = {k: f[k] for k in f.files}
    for k, v in arrays.items():
        if v is None:
            current.pop(k)
        else:
            current[k] = v
    np.savez(folder / "weights.npz", **current)


def _fails(folder: Path, pattern: str) -> str:
    with pytest.raises(IRError, match=pattern) as err:
        load_ir(folder)
    msg = str(err.value)
    assert "\n" not in msg and isinstance(err.value, FlowError)
    return msg


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("kw", [
    {},
    {"hidden": 1, "block_size": 1, "input_dim": 1, "outputs": 1},
    {"hidden": 64, "block_size": 64, "readout": "last", "state_rounding": "floor",
     "input_format": FixedFormat(width=1, frac=0, signed=False)},
    {"hidden": 32, "block_size": 8, "weight_bits": 2, "inv_sqrt2_frac": 12,
     "state_format": FixedFormat(width=32, frac=-3, signed=True)},
])
def test_save_load_round_trip(tmp_path: Path, kw: dict[str, Any]) -> None:
    ir = _ir(**kw)
    folder = save_ir(ir, tmp_path / "a" / "b")
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.npz"]
    back = load_ir(folder)
    _same(ir, back)
    _same(ir, load_ir(folder / "model.json"))
    assert back.meta == ir.meta
    # deterministic bytes: saving the loaded IR again gives the same model.json
    again = save_ir(back, tmp_path / "c")
    assert (again / "model.json").read_bytes() == (folder / "model.json").read_bytes()
    doc = json.loads((folder / "model.json").read_text())
    assert doc["format"] == "hadamrnn-ir" and doc["format_version"] == FORMAT_VERSION == 1
    assert list(doc) == sorted(doc)
    with np.load(folder / "weights.npz") as f:
        assert sorted(f.files) == sorted(ARRAYS)
        assert f["sign"].dtype == np.int8
        assert all(f[k].dtype == np.int64 for k in ARRAYS if k != "sign")
    # reference output is unchanged by the round trip
    x = model.random_inputs(ir, batch=2, steps=4, seed=1)
    assert np.array_equal(model.run(ir, x), model.run(back, x))


def test_loaded_arrays_are_read_only_int64(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _edit_npz(folder, input_weight=np.asarray(load_ir(folder).input_weight, dtype=np.uint8)
              .clip(0, 0), state_bias=np.zeros(16, dtype=np.int16))
    ir = load_ir(folder)
    assert ir.input_weight.dtype == np.int64 and ir.state_bias.dtype == np.int64
    with pytest.raises(ValueError):
        ir.sign[0] = 1


def test_meta_is_optional(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _edit_json(folder, lambda d: d.pop("meta"))
    assert load_ir(folder).meta == {}


# ------------------------------------------------------------------ atomic save


def test_save_overwrites_and_leaves_no_temporaries(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _ir(seed=1))
    save_ir(_ir(seed=2), folder)
    _same(load_ir(folder), _ir(seed=2))
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.npz"]


def test_interrupted_save_keeps_the_old_ir(tmp_path: Path, monkeypatch) -> None:
    old = _ir(seed=1)
    folder = _folder(tmp_path, old)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def boom(*_a: Any, **_k: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(model._files.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_ir(_ir(seed=2), folder)
    monkeypatch.undo()
    for name, data in before.items():
        assert (folder / name).read_bytes() == data
    _same(load_ir(folder), old)


def test_save_onto_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("keep me")
    with pytest.raises(IRError, match="exists and is not a folder"):
        save_ir(_ir(), target)
    assert target.read_text() == "keep me"


# ------------------------------------------------------------------ files


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(IRError, match="no such IR folder"):
        load_ir(tmp_path / "nowhere")
    folder = _folder(tmp_path)
    (folder / "weights.npz").unlink()
    assert str(folder / "weights.npz") in _fails(folder, "weights.npz: missing")
    folder2 = save_ir(_ir(), tmp_path / "ir2")
    (folder2 / "model.json").unlink()
    _fails(folder2, "model.json: missing")


def test_corrupted_json(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    text = (folder / "model.json").read_text()
    (folder / "model.json").write_text(text[: len(text) // 2])
    _fails(folder, "model.json: not valid JSON")
    (folder / "model.json").write_bytes(b"\xff\xfe\x00garbage")
    _fails(folder, "model.json: not valid JSON")
    (folder / "model.json").write_text("[1, 2]")
    _fails(folder, "model.json: must hold a JSON object")


def test_truncated_or_corrupted_weights(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    data = (folder / "weights.npz").read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        (folder / "weights.npz").write_bytes(data[:cut])
        _fails(folder, "weights.npz: unreadable or truncated")
    (folder / "weights.npz").write_bytes(b"not a zip at all")
    _fails(folder, "weights.npz: unreadable or truncated")


# ------------------------------------------------------------------ model.json fields


@pytest.mark.parametrize("key, value, pattern", [
    ("format_version", 2, "model.json:format_version: unsupported version 2"),
    ("format_version", 0, "model.json:format_version"),
    ("format_version", "1", "model.json:format_version"),
    ("format", "onnx", "model.json:format: must be 'hadamrnn-ir'"),
    ("hidden", 6, "hidden: must be a power of two, got 6"),
    ("hidden", 0, r"hidden: must be in \[1, 65536\], got 0"),
    ("hidden", 16.0, "hidden: must be an integer"),
    ("hidden", True, "hidden: must be an integer"),
    ("block_size", 3, "block_size: must be a power of two dividing hidden=16, got 3"),
    ("block_size", 32, r"block_size: must be in \[1, 16\], got 32"),
    ("input_dim", 0, "input_dim"),
    ("outputs", -1, "outputs"),
    ("readout", "sometimes", "readout: must be 'every' or 'last'"),
    ("state_rounding", "half_even", "state_rounding: must be one of floor, half_up"),
    ("state_overflow", "wrap", "state_overflow: must be one of saturate"),
    ("input_weight_bits", 0, r"input_weight_bits: must be in \[2, 16\], got 0"),
    ("input_weight_bits", 64, r"input_weight_bits: must be in \[2, 16\], got 64"),
    ("output_weight_bits", 1, "output_weight_bits"),
    ("output_weight_bits", 64, "output_weight_bits"),
    ("input_weight_frac", 65, "input_weight_frac"),
    ("output_weight_frac", -33, "output_weight_frac"),
    ("inv_sqrt2_frac", 1, "inv_sqrt2_frac"),
    ("inv_sqrt2_frac", 25, "inv_sqrt2_frac"),
    ("name", "", "name: must be a non-empty string"),
    ("name", "x" * 65, "name"),
    ("meta", [1], "meta: must be a JSON object"),
])
def test_bad_scalar_field_is_named(tmp_path: Path, key: str, value: Any, pattern: str) -> None:
    folder = _folder(tmp_path)
    _edit_json(folder, lambda d: d.__setitem__(key, value))
    _fails(folder, pattern)


@pytest.mark.parametrize("fmt, key, value, pattern", [
    ("state_format", "width", 0, r"state_format.width: must be in \[2, 32\], got 0"),
    ("state_format", "width", 64, r"state_format.width: must be in \[2, 32\], got 64"),
    ("state_format", "width", 1, "state_format.width"),
    ("state_format", "signed", False, "state_format.signed: the state must be signed"),
    ("state_format", "frac", 100, "state_format.frac"),
    ("input_format", "width", 0, r"input_format.width: must be in \[1, 32\], got 0"),
    ("input_format", "width", 64, r"input_format.width: must be in \[1, 32\], got 64"),
    ("input_format", "signed", "yes", "input_format.signed: must be true or false"),
])
def test_bad_format_field_is_named(tmp_path: Path, fmt: str, key: str, value: Any,
                                   pattern: str) -> None:
    folder = _folder(tmp_path)
    _edit_json(folder, lambda d: d[fmt].__setitem__(key, value))
    _fails(folder, pattern)


def test_unknown_and_missing_fields(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _edit_json(folder, lambda d: d.__setitem__("clock_mhz", 100))
    _fails(folder, r"model.json: unknown fields \['clock_mhz'\]")
    folder = save_ir(_ir(), tmp_path / "b")
    _edit_json(folder, lambda d: d["state_format"].__setitem__("rounding", "floor"))
    _fails(folder, r"state_format: unknown keys \['rounding'\]")
    folder = save_ir(_ir(), tmp_path / "c")
    _edit_json(folder, lambda d: d.pop("block_size"))
    _fails(folder, "model.json:block_size: is missing")
    folder = save_ir(_ir(), tmp_path / "d")
    _edit_json(folder, lambda d: d["input_format"].pop("frac"))
    _fails(folder, "input_format.frac: is missing")
    folder = save_ir(_ir(), tmp_path / "e")
    _edit_json(folder, lambda d: d.__setitem__("state_format", 16))
    _fails(folder, "state_format: must be an object")


# ------------------------------------------------------------------ weights.npz arrays


@pytest.mark.parametrize("name, value, pattern", [
    ("input_weight", np.zeros((16, 3), dtype=np.float32),
     "weights.npz:input_weight: must hold integers, got dtype float32"),
    ("sign", np.ones(16, dtype=np.float64), "weights.npz:sign: must hold integers"),
    ("state_bias", np.zeros(16, dtype=bool), "weights.npz:state_bias: must hold integers"),
    ("state_bias", np.zeros((16, 1), dtype=np.int64),
     r"weights.npz:state_bias: must have shape \(16,\), got \(16, 1\)"),
    ("input_weight", np.zeros((3, 16), dtype=np.int64),
     r"weights.npz:input_weight: must have shape \(16, 3\), got \(3, 16\)"),
    ("output_weight", np.zeros((2, 8), dtype=np.int64), "weights.npz:output_weight: must have"),
    ("output_bias", np.zeros(3, dtype=np.int64), "weights.npz:output_bias: must have shape"),
    ("sign", np.zeros(16, dtype=np.int8), "weights.npz:sign: every entry must be -1 or"),
    ("sign", np.full(16, 2, dtype=np.int8), r"weights.npz:sign: values must lie in \[-1, 1\]"),
    ("input_weight", np.full((16, 3), 8, dtype=np.int64),
     r"weights.npz:input_weight: values must lie in \[-7, 7\], found \[8, 8\]"),
    ("output_weight", np.full((2, 16), -8, dtype=np.int64), "weights.npz:output_weight: values"),
    ("state_bias", np.full(16, -32768, dtype=np.int64),
     r"weights.npz:state_bias: values must lie in \[-32767, 32767\]"),
    ("output_bias", np.full(2, (1 << 40) + 1, dtype=np.int64), "weights.npz:output_bias"),
])
def test_bad_array_is_named(tmp_path: Path, name: str, value: np.ndarray, pattern: str) -> None:
    folder = _folder(tmp_path)   # 4-bit weights, 16-bit state
    _edit_npz(folder, **{name: value})
    _fails(folder, pattern)


def test_missing_and_extra_arrays(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _edit_npz(folder, state_bias=None)
    _fails(folder, r"weights.npz: missing arrays \['state_bias'\]")
    folder = save_ir(_ir(), tmp_path / "b")
    _edit_npz(folder, recurrent_weight=np.zeros((16, 16), dtype=np.int64))
    _fails(folder, r"weights.npz: unknown arrays \['recurrent_weight'\]")
    folder = save_ir(_ir(), tmp_path / "c")
    _edit_npz(folder, input_weight=np.array([None] * 48, dtype=object).reshape(16, 3))
    _fails(folder, "weights.npz")   # object arrays need pickle: refused


def test_datapath_over_53_bits_is_refused(tmp_path: Path) -> None:
    ok = _ir(hidden=256, block_size=128, state_format=FixedFormat(width=24, frac=20),
             inv_sqrt2_frac=12)
    assert datapath_widths(ok).acc <= model.MAX_DATAPATH_BITS
    folder = _folder(tmp_path, ok)
    _edit_json(folder, lambda d: d.__setitem__("inv_sqrt2_frac", 24))
    _edit_json(folder, lambda d: d["state_format"].__setitem__("width", 32))
    msg = _fails(folder, "state_format: the accumulator needs")
    assert "53" in msg


def test_constructor_validates_too() -> None:
    with pytest.raises(IRError, match="hidden: must be a power of two, got 12"):
        _ir(hidden=12, block_size=4)
    with pytest.raises(IRError, match="block_size"):
        _ir(hidden=16, block_size=32)
    # a valid IR is immutable
    ir = _ir()
    with pytest.raises(AttributeError):
        ir.hidden = 32  # type: ignore[misc]


@pytest.mark.parametrize("state_frac", [26, 30])
def test_random_output_bias_stays_in_the_documented_range(state_frac: int) -> None:
    """With F_v + F_h > 40 the output grid is finer than 2^-40: c is still drawn
    inside +-2^40 (docs/ir.md) and the IR is valid."""
    ir = model.random_ir(hidden=4, input_dim=1, outputs=16, weight_bits=16, seed=3,
                         state_format=model.FixedFormat(width=30, frac=state_frac))
    assert ir.output_frac > 40
    assert int(np.abs(ir.output_bias).max()) <= model.MAX_OUTPUT_BIAS
    assert int(np.abs(ir.output_bias).max()) > 1 << 39  # the whole range is used


@pytest.mark.parametrize(("kw", "field"), [
    ({"hidden": -4}, "hidden"), ({"hidden": 0}, "hidden"), ({"input_dim": 0}, "input_dim"),
    ({"outputs": -1}, "outputs"), ({"block_size": 0}, "block_size"),
    ({"weight_bits": 40}, "weight_bits")])
def test_random_ir_refuses_bad_shapes_with_one_named_field(kw: dict[str, Any], field: str
                                                           ) -> None:
    args: dict[str, Any] = {"hidden": 8, "input_dim": 2, "outputs": 1, **kw}
    with pytest.raises(model.IRError, match=f"^{field}: "):
        model.random_ir(**args)
