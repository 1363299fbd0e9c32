"""The deployment IR: one frozen description of a trained network, in integers.

On disk it is a folder with ``model.json`` (shapes, formats, modes, version) and
``weights.npz`` (integer arrays).  :func:`load_ir` validates everything and names
the offending field; nothing downstream reads anything else.  See docs/ir.md.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ._errors import FlowError
from ._files import atomic_write_many
from ._fixed import OVERFLOWS, ROUNDINGS, FixedFormat, inv_sqrt2_constant

FORMAT_NAME = "hadamrnn-ir"
FORMAT_VERSION = 1
MODEL_JSON = "model.json"
WEIGHTS_NPZ = "weights.npz"

#: Largest accumulator width the flow accepts: every intermediate must be exact
#: in float64 (the torch forward) and int64 (the reference).
MAX_DATAPATH_BITS = 53
#: Largest |output bias| (docs/ir.md): the output's grid bounds what c can hold.
MAX_OUTPUT_BIAS = 1 << 40

Readout = Literal["every", "last"]
ARRAY_NAMES = ("sign", "input_weight", "state_bias", "output_weight", "output_bias")


class IRError(FlowError):
    """A malformed or inconsistent IR; the message names the field."""


@dataclass(frozen=True, kw_only=True, eq=False)
class DeploymentIR:
    """A HadamRNN in integers.  ``h_t = sat(round(W h_{t-1} + U x_t + b))``,
    ``y_t = V relu(h_t) + c`` with ``W = diag(sign) (I ⊗ S_m) / sqrt(m)``.

    Real value of each integer array: ``input_weight * 2**-input_weight_frac``,
    ``state_bias * 2**-state_format.frac``, ``output_weight * 2**-output_weight_frac``,
    ``output_bias * 2**-output_frac``.
    """

    name: str
    hidden: int
    block_size: int
    input_dim: int
    outputs: int
    readout: Readout
    input_format: FixedFormat
    state_format: FixedFormat
    state_rounding: str = "half_up"
    state_overflow: str = "saturate"
    input_weight_bits: int
    input_weight_frac: int
    output_weight_bits: int
    output_weight_frac: int
    inv_sqrt2_frac: int = 16
    sign: np.ndarray
    input_weight: np.ndarray
    state_bias: np.ndarray
    output_weight: np.ndarray
    output_bias: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)
        for name in ARRAY_NAMES:
            arr = np.array(getattr(self, name), dtype=np.int64)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    # ---- derived quantities (docs/arithmetic.md) ----
    @property
    def log2_block(self) -> int:
        return self.block_size.bit_length() - 1

    @property
    def num_blocks(self) -> int:
        return self.hidden // self.block_size

    @property
    def odd_log2(self) -> bool:
        return self.log2_block % 2 == 1

    @property
    def inv_sqrt2(self) -> int:
        """Integer standing for 1/sqrt(2) with ``inv_sqrt2_frac`` fraction bits."""
        return inv_sqrt2_constant(self.inv_sqrt2_frac)

    @property
    def recurrent_frac(self) -> int:
        k = self.log2_block
        return self.state_format.frac + k // 2 + (self.inv_sqrt2_frac if k % 2 else 0)

    @property
    def input_frac(self) -> int:
        return self.input_weight_frac + self.input_format.frac

    @property
    def acc_frac(self) -> int:
        return max(self.recurrent_frac, self.input_frac, self.state_format.frac)

    @property
    def output_frac(self) -> int:
        return self.output_weight_frac + self.state_format.frac

    @property
    def state_max(self) -> int:
        """The state saturates to [-state_max, state_max] (symmetric)."""
        return (1 << (self.state_format.width - 1)) - 1


def _require(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise IRError(f"{where}: {msg}")


def _is_pow2(v: int) -> bool:
    return v > 0 and (v & (v - 1)) == 0


def _check_int(value: Any, where: str, lo: int, hi: int) -> None:
    _require(
        isinstance(value, int) and not isinstance(value, bool),
        where,
        f"must be an integer, got {value!r}",
    )
    _require(lo <= value <= hi, where, f"must be in [{lo}, {hi}], got {value}")


def _check_format(fmt: Any, where: str, *, min_width: int = 1, max_width: int = 32) -> None:
    _require(isinstance(fmt, FixedFormat), where, "must be a fixed-point format")
    _check_int(fmt.width, f"{where}.width", min_width, max_width)
    _check_int(fmt.frac, f"{where}.frac", -32, 64)
    _require(isinstance(fmt.signed, bool), f"{where}.signed", "must be true or false")


def _check_array(
    ir: DeploymentIR, name: str, shape: tuple[int, ...], lo: int, hi: int
) -> np.ndarray:
    arr = np.asarray(getattr(ir, name))
    where = f"{WEIGHTS_NPZ}:{name}"
    _require(
        arr.dtype.kind in "iu", where, f"must hold integers, got dtype {arr.dtype}"
    )
    _require(arr.shape == shape, where, f"must have shape {shape}, got {arr.shape}")
    if arr.size:
        amin, amax = int(arr.min()), int(arr.max())
        _require(
            lo <= amin and amax <= hi,
            where,
            f"values must lie in [{lo}, {hi}], found [{amin}, {amax}]",
        )
    return arr


def validate(ir: DeploymentIR) -> None:
    """Raise :class:`IRError` naming the first bad field; return None when valid."""
    _require(isinstance(ir.name, str) and 0 < len(ir.name) <= 64, "name",
             "must be a non-empty string of at most 64 characters")
    _check_int(ir.hidden, "hidden", 1, 1 << 16)
    _require(_is_pow2(ir.hidden), "hidden", f"must be a power of two, got {ir.hidden}")
    _check_int(ir.block_size, "block_size", 1, ir.hidden)
    _require(_is_pow2(ir.block_size) and ir.hidden % ir.block_size == 0, "block_size",
             f"must be a power of two dividing hidden={ir.hidden}, got {ir.block_size}")
    _check_int(ir.input_dim, "input_dim", 1, 1 << 16)
    _check_int(ir.outputs, "outputs", 1, 1 << 16)
    _require(ir.readout in ("every", "last"), "readout",
             f"must be 'every' or 'last', got {ir.readout!r}")
    _check_format(ir.input_format, "input_format")
    _check_format(ir.state_format, "state_format", min_width=2)
    _require(ir.state_format.signed, "state_format.signed", "the state must be signed")
    _require(ir.state_rounding in ROUNDINGS, "state_rounding",
             f"must be one of {', '.join(ROUNDINGS)}, got {ir.state_rounding!r}")
    _require(ir.state_overflow in OVERFLOWS, "state_overflow",
             f"must be one of {', '.join(OVERFLOWS)}, got {ir.state_overflow!r}")
    _check_int(ir.input_weight_bits, "input_weight_bits", 2, 16)
    _check_int(ir.output_weight_bits, "output_weight_bits", 2, 16)
    _check_int(ir.input_weight_frac, "input_weight_frac", -32, 64)
    _check_int(ir.output_weight_frac, "output_weight_frac", -32, 64)
    _check_int(ir.inv_sqrt2_frac, "inv_sqrt2_frac", 2, 24)
    _require(isinstance(ir.meta, dict), "meta", "must be a JSON object")

    n, d, o = ir.hidden, ir.input_dim, ir.outputs
    _check_array(ir, "sign", (n,), -1, 1)
    _require(bool(np.all(np.abs(np.asarray(ir.sign)) == 1)), f"{WEIGHTS_NPZ}:sign",
             "every entry must be -1 or +1")
    qu = (1 << (ir.input_weight_bits - 1)) - 1
    qv = (1 << (ir.output_weight_bits - 1)) - 1
    _check_array(ir, "input_weight", (n, d), -qu, qu)
    smax = (1 << (ir.state_format.width - 1)) - 1
    _check_array(ir, "state_bias", (n,), -smax, smax)
    _check_array(ir, "output_weight", (o, n), -qv, qv)
    _check_array(ir, "output_bias", (o,), -MAX_OUTPUT_BIAS, MAX_OUTPUT_BIAS)

    # Every intermediate must fit the exactness budget of float64 / int64.
    from ._widths import datapath_widths  # local: _widths imports this module

    widths = datapath_widths(ir)
    for label, bits in (("accumulator", widths.acc), ("output", widths.output)):
        _require(bits <= MAX_DATAPATH_BITS, "state_format",
                 f"the {label} needs {bits} bits, more than the {MAX_DATAPATH_BITS} "
                 "the flow can keep exact; use fewer state or fraction bits")


# ------------------------------------------------------------------ JSON I/O


def _fmt_from_json(obj: Any, where: str) -> FixedFormat:
    _require(isinstance(obj, dict), where, "must be an object with width, frac, signed")
    extra = set(obj) - {"width", "frac", "signed"}
    _require(not extra, where, f"unknown keys {sorted(extra)}")
    for key in ("width", "frac", "signed"):
        _require(key in obj, f"{where}.{key}", "is missing")
    return FixedFormat(width=obj["width"], frac=obj["frac"], signed=obj["signed"])


_SCALAR_FIELDS = (
    "name", "hidden", "block_size", "input_dim", "outputs", "readout",
    "state_rounding", "state_overflow", "input_weight_bits", "input_weight_frac",
    "output_weight_bits", "output_weight_frac", "inv_sqrt2_frac",
)


def ir_to_json(ir: DeploymentIR) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}
    for key in _SCALAR_FIELDS:
        doc[key] = getattr(ir, key)
    doc["input_format"] = ir.input_format.to_json()
    doc["state_format"] = ir.state_format.to_json()
    doc["meta"] = ir.meta
    return doc


def ir_from_parts(doc: Any, arrays: dict[str, np.ndarray]) -> DeploymentIR:
    _require(isinstance(doc, dict), MODEL_JSON, "must hold a JSON object")
    _require(doc.get("format") == FORMAT_NAME, f"{MODEL_JSON}:format",
             f"must be {FORMAT_NAME!r}, got {doc.get('format')!r}")
    version = doc.get("format_version")
    _require(version == FORMAT_VERSION, f"{MODEL_JSON}:format_version",
             f"unsupported version {version!r}; this flow reads version {FORMAT_VERSION}")
    known = set(_SCALAR_FIELDS) | {"format", "format_version", "input_format",
                                   "state_format", "meta"}
    unknown = set(doc) - known
    _require(not unknown, MODEL_JSON, f"unknown fields {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for key in _SCALAR_FIELDS:
        _require(key in doc, f"{MODEL_JSON}:{key}", "is missing")
        kwargs[key] = doc[key]
    kwargs["input_format"] = _fmt_from_json(doc.get("input_format"), "input_format")
    kwargs["state_format"] = _fmt_from_json(doc.get("state_format"), "state_format")
    kwargs["meta"] = doc.get("meta", {})
    missing = [a for a in ARRAY_NAMES if a not in arrays]
    _require(not missing, WEIGHTS_NPZ, f"missing arrays {missing}")
    extra = sorted(set(arrays) - set(ARRAY_NAMES))
    _require(not extra, WEIGHTS_NPZ, f"unknown arrays {extra}")
    kwargs.update(arrays)
    return DeploymentIR(**kwargs)


def load_ir(path: str | os.PathLike[str]) -> DeploymentIR:
    """Load and validate an IR folder (or its model.json).  Raises IRError."""
    folder = Path(path)
    if folder.is_file() and folder.name == MODEL_JSON:
        folder = folder.parent
    model_json, weights = folder / MODEL_JSON, folder / WEIGHTS_NPZ
    if not folder.is_dir():
        raise IRError(f"{folder}: no such IR folder (expected {MODEL_JSON} and {WEIGHTS_NPZ})")
    for p in (model_json, weights):
        if not p.is_file():
            raise IRError(f"{p}: missing; an IR folder holds {MODEL_JSON} and {WEIGHTS_NPZ}")
    try:
        doc = json.loads(model_json.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IRError(f"{model_json}: not valid JSON ({exc})") from None
    try:
        with np.load(weights, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise IRError(f"{weights}: unreadable or truncated ({exc})") from None
    return ir_from_parts(doc, arrays)


def ir_files(ir: DeploymentIR) -> dict[str, bytes]:
    """The IR as the two files of its folder (``model.json``, ``weights.npz``), as
    bytes.  Deterministic: the same IR always gives the same bytes."""
    import io

    text = json.dumps(ir_to_json(ir), indent=2, sort_keys=True) + "\n"
    buf = io.BytesIO()
    dtypes = {"sign": np.int8}
    np.savez(buf, **{
        name: np.asarray(getattr(ir, name)).astype(dtypes.get(name, np.int64))
        for name in ARRAY_NAMES
    })
    return {MODEL_JSON: text.encode(), WEIGHTS_NPZ: buf.getvalue()}


def save_ir(ir: DeploymentIR, path: str | os.PathLike[str]) -> Path:
    """Write ``model.json`` and ``weights.npz`` into ``path`` atomically.

    Both files are first written to temporary names in the same folder and then
    renamed, so an interrupted save never leaves a half-written IR behind.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise IRError(f"{folder}: exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    data = ir_files(ir)
    # renamed last to first: weights.npz, then model.json
    atomic_write_many({folder / MODEL_JSON: data[MODEL_JSON],
                       folder / WEIGHTS_NPZ: data[WEIGHTS_NPZ]})
    return folder
