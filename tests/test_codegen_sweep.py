"""codegen.sweep: spec parsing and grid expansion, point keys, the result store
(cache hits, resume), failing points, in-process vs Ray, the command's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen import main
from codegen.sweep import _point as point_module
from codegen.sweep import (
    csv_text,
    expand,
    load_spec,
    parse_spec,
    point_key,
    run_sweep,
    write_reports,
)
from codegen.tools import YosysError, classify

SMALL = {
    "name": "small",
    "ir": {"input_dim": 2, "outputs": 1, "seed": 3},
    "grid": {
        "board": ["pynq-z2", "ice40-up5k"],
        "hidden": [8, 16],
        "block": [4, "hidden"],
        "bits": 2,
        "state_bits": [8],
        "arch": [{"arch": "parallel"},
                 {"arch": "parallel", "pipeline": "max"},
                 {"arch": "stream"}, {"arch": "stream", "lanes": 2}],
    },
}


def _stable(records: list[dict]) -> list[dict]:
    """Results without the run's wall times (the only part that may differ)."""
    return [{k: v for k, v in r.items() if k != "run"} for r in records]


def test_grid_expansion_order_defaults_and_duplicates() -> None:
    spec = parse_spec({**SMALL, "grid": {**SMALL["grid"], "block": [4, 8, "hidden"]}})
    points = expand(spec)
    # hidden 8: blocks 4, 8 ("hidden" = 8 repeats 8); hidden 16: 4, 8, 16
    assert len(points) == 2 * (2 + 3) * 4
    assert [p.index for p in points] == list(range(len(points)))
    first = points[0]
    assert (first.board, first.hidden, first.block, first.bits, first.state_bits,
            first.arch) == ("pynq-z2", 8, 4, 2, 8, "parallel")
    assert points[1].pipeline == "max" and points[1].interleave == "min"
    assert points[-1].board == "ice40-up5k" and points[-1].block == 16
    assert spec.settings == {"synth": False, "pnr": False, "clock_ns": 10.0, "steps": 100,
                             "timeout_s": 1800.0}
    only = parse_spec({"grid": {"hidden": 16}})
    (p,) = expand(only)
    assert (p.board, p.block, p.bits, p.state_bits, p.arch) == ("pynq-z2", 16, 4, 16,
                                                                "parallel")


def test_arith_da_points_resolve_their_own_deepest_pipeline(tmp_path: Path) -> None:
    """``arith = "da"`` is an arch key: at odd log2 m its deepest pipeline has
    one more stage (x 1/sqrt(2) is a layer of its own), and the point says so."""
    spec = parse_spec({"ir": {"input_dim": 2, "outputs": 2, "seed": 3},
                       "grid": {"hidden": 8, "state_bits": 8,
                                "arch": [{"arch": "parallel", "pipeline": "max"},
                                         {"arch": "parallel", "pipeline": "max",
                                          "arith": "da"}]}})
    csd, da = expand(spec)
    assert (csd.arith, da.arith) == ("csd", "da")
    result = run_sweep(spec, tmp_path, progress=False)
    assert result.failed == 0
    by_arith = {r["options"]["arith"]: r for r in result.records}
    assert by_arith["csd"]["options"]["pipeline"] == 5      # k = 3: k + 2
    assert by_arith["da"]["options"]["pipeline"] == 6       # and the product layer
    assert by_arith["da"]["name"].endswith("_da_pynq-z2")
    assert by_arith["da"]["estimate"]["lut"] < by_arith["csd"]["estimate"]["lut"]
    with pytest.raises(Exception, match="arith"):
        parse_spec({"grid": {"hidden": 8, "arch": [{"arch": "parallel", "arith": 3}]}})


def test_reuse_points_are_named_estimated_and_keep_other_keys(tmp_path: Path) -> None:
    """``reuse`` is an arch key: the point's name and options carry it, its
    estimate takes R times the cycles of one lane, and a point without it keeps
    the parameters (so the cache key) it had before the key existed."""
    spec = parse_spec({"ir": {"input_dim": 4, "outputs": 2, "seed": 3},
                       "grid": {"hidden": 16, "state_bits": 8,
                                "arch": [{"arch": "stream"}, {"arch": "stream", "reuse": 4}]}})
    plain, shared = expand(spec)
    assert "reuse" not in plain.params() and shared.params()["reuse"] == 4
    result = run_sweep(spec, tmp_path, progress=False)
    assert result.failed == 0
    one, four = sorted(result.records, key=lambda r: r["options"].get("reuse", 1))
    assert four["options"]["reuse"] == 4 and "_r4_" in four["name"]
    assert four["estimate"]["cycles_per_step"] == 4 * one["estimate"]["cycles_per_step"]
    assert four["estimate"]["lut"] < one["estimate"]["lut"]


def test_point_key_is_stable_and_content_addressed() -> None:
    point = {"board": "pynq-z2", "hidden": 8, "block": 4, "bits": 2, "state_bits": 8,
             "arch": "parallel", "fold": 1, "pipeline": 1, "interleave": 1, "lanes": 1,
             "datapath": "hadamard"}
    context = {"settings": {"synth": False}, "code": "c0ffee", "schema": 1}
    key = point_key(point, context)
    # canonical JSON: key order does not matter, the value is fixed across processes
    assert point_key(dict(reversed(list(point.items()))), context) == key
    assert key == "a5cdeffe60ce96548131"
    assert point_key({**point, "hidden": 16}, context) != key
    assert point_key(point, {**context, "code": "other"}) != key
    assert point_key(point, {**context, "settings": {"synth": True}}) != key


def test_rerun_computes_nothing_and_resumes(tmp_path: Path) -> None:
    spec = parse_spec(SMALL)
    first = run_sweep(spec, tmp_path, progress=False)
    assert first.computed == len(first.records) == 2 * 4 * 4
    assert first.cached == 0 and first.failed == 0
    again = run_sweep(spec, tmp_path, progress=False)
    assert again.computed == 0 and again.cached == len(first.records)
    assert _stable(again.records) == _stable(first.records)
    # a killed run leaves some points without a file: only those are computed
    lost = sorted((tmp_path / "points").glob("*.json"))[:3]
    for f in lost:
        f.unlink()
    resumed = run_sweep(spec, tmp_path, progress=False)
    assert resumed.computed == 3 and resumed.cached == len(first.records) - 3
    assert _stable(resumed.records) == _stable(first.records)
    # a smaller grid leaves the other results in place unless asked to prune them
    one = parse_spec({**SMALL, "grid": {**SMALL["grid"], "board": "pynq-z2"}})
    assert run_sweep(one, tmp_path, progress=False).computed == 0
    assert len(list((tmp_path / "points").glob("*.json"))) == len(first.records)
    run_sweep(one, tmp_path, progress=False, prune=True)
    assert len(list((tmp_path / "points").glob("*.json"))) == len(first.records) // 2


def test_failing_points_are_recorded_and_do_not_stop_the_sweep(tmp_path: Path) -> None:
    spec = parse_spec({"name": "bad", "grid": {
        "hidden": [8], "block": [4, 16], "bits": 2, "state_bits": 8,
        "arch": [{"arch": "parallel"}, {"arch": "parallel", "lanes": 2},
                 {"arch": "parallel", "pipeline": 3, "interleave": 1}]}})
    res = run_sweep(spec, tmp_path, progress=False)
    by_status = {r["name"]: r for r in res.records}
    assert len(res.records) == 6 and res.failed == 5
    ok = [r for r in res.records if r["status"] == "ok"]
    assert [r["name"] for r in ok] == ["n8_m4_p2_s8_f1_b1_pynq-z2"]
    errors = [r["error"] for r in res.records if r["status"] == "error"]
    assert all("\n" not in e for e in errors)
    assert any("block_size: must be in [1, 8], got 16" in e for e in errors)
    assert any("--lanes applies to --arch stream only" in e for e in errors)
    assert any("--interleave 1 must be >= --pipeline 3" in e for e in errors)
    assert by_status  # names are unique here
    text = csv_text(res.records)
    assert text.count(",error,") == 5
    # failures are stored too: a rerun computes nothing unless asked to retry them
    assert run_sweep(spec, tmp_path, progress=False).computed == 0
    assert run_sweep(spec, tmp_path, progress=False, retry_failed=True).computed == 5


def test_tool_results_are_cached_by_rtl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_synthesize(sources, *, top, family, workdir, timeout_s):  # type: ignore[no-untyped-def]
        calls.append(family)
        assert all(Path(s).is_file() for s in sources) and top == "hadamrnn_top"
        return classify({"LUT6": 100 + len(calls), "FDRE": 10}, family)

    monkeypatch.setattr(point_module, "synthesize", fake_synthesize)
    spec = parse_spec({"name": "syn", "sweep": {"synth": True},
                       "grid": {"hidden": 8, "block": [4, 8], "bits": 2, "state_bits": 8}})
    res = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    assert calls == ["xc7", "xc7"] and res.tool_runs == 2
    assert [r["synth"]["lut"] for r in res.records] == [101, 102]
    assert len(list((tmp_path / "out" / "synth").glob("*.json"))) == 2
    # recomputing the points reuses the Yosys results: the RTL did not change
    again = run_sweep(spec, tmp_path / "out", workers=1, progress=False, recompute=True)
    assert calls == ["xc7", "xc7"] and again.computed == 2 and again.tool_runs == 0
    assert all(r["run"]["synth_cached"] for r in again.records)
    assert _stable(again.records) == _stable(res.records)
    files = write_reports(res.records, tmp_path / "out", title="syn")
    assert [f.name for f in files] == ["results.csv", "results.md", "pareto.png"]
    assert "101" in (tmp_path / "out" / "results.md").read_text()


def test_tool_failure_keeps_the_estimate_and_no_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_synthesize(sources, *, top, family, workdir, timeout_s):  # type: ignore[no-untyped-def]
        raise YosysError(f"Yosys failed on {Path(workdir).resolve() / 'synth.ys'}: exit status 1")

    monkeypatch.setattr(point_module, "synthesize", failing_synthesize)
    spec = parse_spec({"sweep": {"synth": True}, "grid": {"hidden": 8, "bits": 2,
                                                          "state_bits": 8}})
    res = run_sweep(spec, tmp_path / "a", work=tmp_path / "w1", progress=False)
    (r,) = res.records
    assert res.tool_runs == 1 and res.failed == 1
    assert r["status"] == "error" and r["estimate"]["lut"] > 0
    assert r["error"] == "Yosys failed on <work>/yosys/synth.ys: exit status 1"
    (again,) = run_sweep(spec, tmp_path / "b", work=tmp_path / "w2", progress=False).records
    assert _stable([again]) == _stable([r])
    assert not list((tmp_path / "a" / "synth").glob("*.json"))  # failures are not tool-cached


def test_serial_and_ray_give_identical_results(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    spec = parse_spec({**SMALL, "grid": {**SMALL["grid"], "board": "pynq-z2"}})
    serial = run_sweep(spec, tmp_path / "serial", workers=1, progress=False)
    ray = run_sweep(spec, tmp_path / "ray", workers=2, progress=False)
    assert (serial.mode, ray.mode) == ("serial", "ray")
    assert ray.computed == serial.computed == 16
    assert _stable(ray.records) == _stable(serial.records)
    assert csv_text(ray.records) == csv_text(serial.records)
    for r in serial.records:
        stored = json.loads((tmp_path / "ray" / "points" / f"{r['key']}.json").read_text())
        assert {k: v for k, v in stored.items() if k != "run"} == _stable([r])[0]


def test_command_writes_tables_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text('name = "cli"\n[grid]\nhidden = [8]\nblock = [4, 8]\nbits = 2\n'
                    'state_bits = 8\narch = ["parallel", "stream"]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1",
                 "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert "4 points: 4 computed (0 tool runs), 0 cached, 0 failed" in first
    for name in ("results.csv", "results.md", "pareto.png"):
        assert (out / name).is_file()
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1",
                 "--no-progress"]) == 0
    assert "4 points: 0 computed (0 tool runs), 4 cached" in capsys.readouterr().out
    assert load_spec(spec).name == "cli"


@pytest.mark.parametrize(("text", "message"), [
    ("[grid]\nhidden = [8]\nwidth = [3]\n", "grid: unknown axis 'width'"),
    ("[grid]\nhidden = [8]\nboard = ['nope']\n", "grid.board: unknown board 'nope'"),
    ("[grid]\nhidden = [0]\n", "grid.hidden: expected an integer >= 1, got 0"),
    ("[grid]\nhidden = 8\narch = [{ arch = 'stream', pipeline = 'deep' }]\n",
     "grid.arch[0].pipeline (an integer or 'max')"),
    ("[sweep]\nsynth = 'yes'\n[grid]\nhidden = 8\n", "sweep.synth: expected true or false"),
    ("[ir]\npath = 'x'\n[grid]\nhidden = 8\n", "grid.hidden: not an axis with [ir] path"),
    ("[grid\n", "not valid TOML"),
    ("[sweep]\n", "grid: a [grid] table of axes is required"),
])
def test_bad_spec_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture,
                                     text: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert str(spec) in err
    assert not (tmp_path / "out").exists()


def test_missing_spec_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["sweep", str(tmp_path / "none.json"), "--out", str(tmp_path / "o")]) == 2
    assert "no such sweep spec" in capsys.readouterr().err


def test_unreachable_address_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"grid": {"hidden": 8}}))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--address", "127.0.0.1:1",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --address 127.0.0.1:1: no Ray cluster answers there")
    assert err.count("\n") == 1
