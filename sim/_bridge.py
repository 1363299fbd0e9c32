"""Compile a generated Vitis HLS project with g++ and call it from Python.

The generated sources are compiled ONCE per content hash (sources, stand-in
headers, flags, compiler) into the cache (``sim.cache_root()/csim``, never the
project folder): an object of
the top function, a shared library with a small ``extern "C"`` wrapper
(sim/include/hrnn_bridge.cpp) that ctypes calls on numpy batches, and the
project's own C test bench.  The arbitrary-precision headers come from the
installed hls4ml package (located at run time, never copied);
``hls::stream`` and ``ap_axiu`` come from the small stand-ins in sim/include/.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import numpy as np

from model import FlowError, replacing

from ._project import cache_root, load_project

INCLUDE_DIR = Path(__file__).resolve().parent / "include"
BRIDGE_SOURCE = INCLUDE_DIR / "hrnn_bridge.cpp"
CXX_FLAGS: tuple[str, ...] = ("-std=c++17", "-O2", "-w")


def cxx_flags(opt: int) -> tuple[str, ...]:
    if opt not in (0, 1, 2):
        raise FlowError(f"-O{opt}: the optimisation level must be 0, 1 or 2")
    return ("-std=c++17", f"-O{opt}", "-w")


@cache
def ap_types_dir() -> Path:
    """hls4ml/templates/vivado/ap_types of the installed hls4ml (no import of hls4ml)."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise FlowError("hls4ml is not installed; its ap_types headers are needed for C simulation")
    for loc in spec.submodule_search_locations:
        folder = Path(loc) / "templates" / "vivado" / "ap_types"
        if (folder / "ap_int.h").is_file():
            return folder
    raise FlowError("the installed hls4ml has no templates/vivado/ap_types/ap_int.h")


@cache
def compiler() -> tuple[str, str]:
    """(path, version line) of g++."""
    cxx = os.environ.get("CXX") or shutil.which("g++")
    if not cxx:
        raise FlowError("g++ not found; install g++ (Debian: apt-get install g++) for C simulation")
    out = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False)
    return cxx, (out.stdout.splitlines() or ["unknown"])[0]


class CsimBuild:
    """The compiled artefacts of one project (built on first use, then cached).

    Each artefact is named by a hash of exactly what it is built from (its
    sources, the headers it can include, flags, compiler), so a change to the
    test bench or its vectors never recompiles the top function.
    """

    def __init__(self, *, project: str | os.PathLike[str], flags: tuple[str, ...] = CXX_FLAGS):
        self.loaded = load_project(project, target="vitis")
        self.project = self.loaded.folder
        self.flags = flags
        self.top_source = self.loaded.sources[0]
        tb = self.loaded.testbench
        if tb is None:
            raise FlowError(f"{self.project}: the project names no test bench")
        self.tb_source = tb
        base = hashlib.sha256()
        _, version = compiler()
        for part in (version, " ".join(flags), str(ap_types_dir())):
            base.update(part.encode() + b"\0")
        for f in sorted(INCLUDE_DIR.iterdir()):
            base.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
        self._base = base
        self.folder = cache_root() / "csim"
        self.compile_seconds = 0.0

    def _key(self, *parts: Path | str) -> str:
        digest = self._base.copy()
        for part in parts:
            data = part.read_bytes() if isinstance(part, Path) else part.encode()
            digest.update(str(part).encode() + b"\0" + data + b"\0")
        return digest.hexdigest()[:16]

    def _cxx(self, args: list[str], what: str) -> None:
        import time

        cxx, _ = compiler()
        cmd = [cxx, *self.flags, "-I", str(self.project / "src"), "-I", str(INCLUDE_DIR),
               "-I", str(ap_types_dir()), *args]
        start = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        self.compile_seconds += time.perf_counter() - start
        if res.returncode != 0:
            tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise FlowError(f"g++ failed on {what}: {tail[0]}")

    def _artefact(self, name: str, key: str, make: list[str], what: str) -> Path:
        """Build ``name`` (tagged with ``key``) unless cached; atomic rename."""
        stem, dot, suffix = name.partition(".")
        dest = self.folder / f"{stem}-{key}{dot}{suffix}"
        if dest.is_file():
            return dest
        with replacing(dest) as tmp:
            self._cxx([*make, "-o", str(tmp)], what)
        return dest

    def _headers(self, *, weights: bool) -> list[Path]:
        src = self.project / "src"
        return [h for h in sorted(src.glob("*.h")) if weights or h.name != "hrnn_weights.h"]

    def top_object(self) -> Path:
        key = self._key(self.top_source, *self._headers(weights=False))
        return self._artefact("top.o", key, ["-fPIC", "-c", str(self.top_source)],
                              "the top function")

    def library(self) -> Path:
        top = self.top_object()
        bkey = self._key(BRIDGE_SOURCE, *self._headers(weights=False))
        bridge = self._artefact("bridge.o", bkey, ["-fPIC", "-c", str(BRIDGE_SOURCE)],
                                "the bridge")
        return self._artefact("libhrnn.so", self._key(top.name, bridge.name),
                              ["-shared", str(top), str(bridge)], "the library")

    def testbench(self) -> Path:
        top = self.top_object()
        tkey = self._key(self.tb_source, *self._headers(weights=True))
        tb = self._artefact("tb.o", tkey, ["-c", str(self.tb_source)], "the test bench")
        return self._artefact("tb", self._key(top.name, tb.name), [str(top), str(tb)],
                              "the test bench")


class Bridge:
    """``predict(x)`` runs the generated C++ on a batch like ``model.run`` does."""

    def __init__(self, *, build: CsimBuild):
        self.build = build
        lib = ctypes.CDLL(str(build.library()))
        lib.hrnn_shape.argtypes = [ctypes.POINTER(ctypes.c_int64)]
        lib.hrnn_run.argtypes = [ctypes.POINTER(ctypes.c_int64), ctypes.c_int64,
                                 ctypes.c_int64, ctypes.POINTER(ctypes.c_int64)]
        lib.hrnn_run.restype = ctypes.c_int
        shape = np.zeros(8, dtype=np.int64)
        lib.hrnn_shape(shape.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)))
        (self.hidden, self.input_dim, self.outputs, every, self.interleave,
         self.input_width, self.output_width, self.fold) = (int(v) for v in shape)
        self.readout_every = bool(every)
        self._lib = lib

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x: ints (batch, steps, input_dim) -> y like model.run (every: 3-D, last: 2-D)."""
        x = np.ascontiguousarray(x, dtype=np.int64)
        if x.ndim != 3 or x.shape[2] != self.input_dim or x.shape[1] < 1 or x.shape[0] < 1:
            raise FlowError(f"inputs must have shape (batch, steps, {self.input_dim}), "
                            f"got {x.shape}")
        batch, steps, _ = x.shape
        out_steps = steps if self.readout_every else 1
        y = np.zeros((batch, out_steps, self.outputs), dtype=np.int64)
        ptr = ctypes.POINTER(ctypes.c_int64)
        rc = self._lib.hrnn_run(x.ctypes.data_as(ptr), batch, steps, y.ctypes.data_as(ptr))
        if rc != 0:
            raise FlowError("the generated design wrote a wrong number of output beats "
                            "or a wrong TLAST")
        return y if self.readout_every else y[:, 0, :]
